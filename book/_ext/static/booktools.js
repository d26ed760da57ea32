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
  // Accents become combining characters: \hat\tau reads as τ̂.
  const ACCENTS = {
    hat: "\u0302", widehat: "\u0302", tilde: "\u0303",
    bar: "\u0304", overline: "\u0304",
  };
  const ACCENTED =
    /\\(hat|widehat|tilde|bar|overline)\s*(?:\{([^{}]*)\}|(\\[A-Za-z]+|\w))/g;
  const plain = (tex) => tex
    .replace(/^\s*\\[(\[]|\\[)\]]\s*$/g, "")
    .replace(ACCENTED, (_, accent, group, one) => (group ?? one) +
             ACCENTS[accent])
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
  Search.plainMath = plain;  // tested in tests/test_site.py
})();
