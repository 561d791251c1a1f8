// Recompute the planned dose on the infusion form as the weight is typed.
(function () {
  var dose = document.querySelector("[data-dose-per-kg]");
  var weight = document.getElementById("weight_kg");
  if (!dose || !weight) { return; }
  var perKg = Number(dose.getAttribute("data-dose-per-kg"));
  var out = dose.querySelector("[data-dose-total]");
  // A Chinese keyboard may type full-width digits and point; the server reads them too.
  function typed() {
    return weight.value.replace(/[\uFF10-\uFF19\uFF0E]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xFEE0);
    }).replace(/[\s\u3000]/g, "");
  }
  function show() {
    var text = typed();
    var kg = Number(text);
    if (!text || !isFinite(kg) || kg <= 0) { out.textContent = "—"; return; }
    var cells = perKg * kg;
    var exponent = Math.floor(Math.log10(cells));
    var mantissa = Number((cells / Math.pow(10, exponent)).toPrecision(3));
    out.textContent = kg + " kg = " + mantissa + " × 10";
    var sup = document.createElement("sup");
    sup.textContent = String(exponent);
    out.appendChild(sup);
  }
  weight.addEventListener("input", show);
  // A weight typed (or restored by the browser) before this script ran is shown too.
  show();
}());
