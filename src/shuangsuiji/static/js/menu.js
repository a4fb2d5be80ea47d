// On a phone the menu starts folded under its “菜单” button, so a page's content comes first;
// from 900 px it is the side bar, always open (the summary is hidden there by app.css).
// Without JavaScript the menu simply stays open.
(function () {
  var menu = document.querySelector("details.menu-toggle");
  if (!menu) return;
  var wide = window.matchMedia("(min-width: 900px)");
  function fit() {
    if (wide.matches) menu.setAttribute("open", "");
    else menu.removeAttribute("open");
  }
  fit();
  wide.addEventListener("change", fit);
})();
