// Search snippets are cut from each result page's HTML, where math is
// still MathJax's TeX source ("\(\hat{\tau}\)"). Show it as plain text.
(() => {
  if (typeof Search === "undefined" || !Search.htmlToText) return;
  const SYMBOLS = {
    alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε",
    varepsilon: "ε", theta: "θ", lambda: "λ", mu: "μ", pi: "π",
    rho: "ρ", sigma: "σ", tau: "τ", phi: "φ", psi: "ψ", omega: "ω",
    Delta: "Δ", Sigma: "Σ", sum: "∑", prod: "∏", le: "≤", leq: "≤",
    ge: "≥", geq: "≥", ne: "≠", neq: "≠", approx: "≈", times: "×",
    cdot: "·", to: "→", rightarrow: "→", mid: "|", perp: "⊥",
    infty: "∞", in: "∈", pm: "±", sqrt: "√",
  };
  const plain = (tex) => tex
    .replace(/^\s*\\[(\[]|\\[)\]]\s*$/g, "")
    .replace(/\\(?:begin|end)\{[^}]*\}/g, " ")
    .replace(/\\frac\{([^{}]*)\}\{([^{}]*)\}/g, "($1)/($2)")
    .replace(/\\(?:text|mathrm|mathbf|mathbb|mathcal|operatorname)\b/g, "")
    .replace(/\\(?:left|right|big|Big|quad|qquad)\b/g, " ")
    .replace(/\\\\|&|\\[,;:! ]/g, " ")
    .replace(/\\([A-Za-z]+)/g, (_, name) => SYMBOLS[name] ?? name)
    .replace(/[{}]/g, "")
    .replace(/\s+/g, " ")
    .trim();
  const toText = Search.htmlToText;
  Search.htmlToText = (htmlString, anchor) => {
    const doc = new DOMParser().parseFromString(htmlString, "text/html");
    doc.querySelectorAll(".math").forEach((el) => {
      el.textContent = plain(el.textContent);
    });
    return toText(doc.documentElement.outerHTML, anchor);
  };
  Search.plainMath = plain;  // for the browser test
})();
