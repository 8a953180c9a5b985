// presswatch: a little progressive enhancement; every page works without it.
"use strict";

// Forms marked data-swap="<selector>" post in the background and swap in that
// element from the page the server answers with (plus its flash messages), so
// assigning or triaging does not reload the page. The answer is our own
// server-rendered, escaped HTML; DOMParser never runs scripts it contains.
document.addEventListener("submit", async function (event) {
  const form = event.target;
  const selector = form.getAttribute("data-swap");
  if (!selector || event.defaultPrevented || !window.fetch || !window.DOMParser) { return; }
  event.preventDefault();
  let response;
  try {
    response = await fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
    });
  } catch (error) {
    form.submit();  // not sent at all: fall back to an ordinary submission
    return;
  }
  const doc = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = doc.querySelector(selector);
  const current = document.querySelector(selector);
  if (!response.ok || !fresh || !current) {
    window.location.assign(response.url);  // show whatever the server answered
    return;
  }
  const main = document.querySelector("main");
  document.querySelectorAll("main > .flash").forEach(function (node) { node.remove(); });
  current.replaceWith(document.importNode(fresh, true));
  const flashes = Array.from(doc.querySelectorAll("main > .flash")).reverse();
  flashes.forEach(function (node) { main.prepend(document.importNode(node, true)); });
  document.dispatchEvent(new CustomEvent("presswatch:swapped", { detail: selector }));
});

function enhance() {
  // Filter forms marked data-autosubmit apply as soon as a select changes.
  document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
}

// Forms marked data-confirm="<question>" (closing a case, which creates training
// labels; disabling a user; signing a user out everywhere) ask once. The question
// comes from the catalog, in the user's language.
// The queue's bulk "take" asks the same way when ticked cases are held by a
// colleague (data-holder on their boxes), and then says so to the server, one
// "<case id>:<holder>" per case, as the one-case form's `takeover` field does.
document.addEventListener("submit", function (event) {
  const form = event.target;
  const question = form.getAttribute("data-confirm-takeover");
  if (!question) { return; }
  form.querySelectorAll("input[data-confirmed-takeover]").forEach(function (node) { node.remove(); });
  if (!form.elements.action || form.elements.action.value !== "assign_me") { return; }
  const held = Array.from(form.elements).filter(function (box) {
    return box.name === "case_id" && box.checked && box.getAttribute("data-holder");
  });
  if (!held.length) { return; }
  const names = Array.from(new Set(held.map(function (box) { return box.getAttribute("data-holder"); })));
  if (!window.confirm(question.replace("{names}", names.join(", ")))) {
    event.preventDefault(); event.stopImmediatePropagation(); return;
  }
  held.forEach(function (box) {
    const field = document.createElement("input");
    field.type = "hidden"; field.name = "takeover";
    field.value = box.value + ":" + box.getAttribute("data-holder");
    field.setAttribute("data-confirmed-takeover", "");
    form.appendChild(field);
  });
}, true);

document.addEventListener("submit", function (event) {
  const message = event.target.getAttribute("data-confirm");
  if (!message) { return; }
  if (!window.confirm(message)) { event.preventDefault(); event.stopImmediatePropagation(); }
}, true);

document.addEventListener("DOMContentLoaded", enhance);

// The library of answers on a case page: "use this" buttons (data-use="<id of a
// text>") copy that text into the case's response boxes, asking first
// (data-confirm-replace) when they hold another draft. Listening on the document,
// it also serves buttons the case page's swaps bring in.
document.addEventListener("click", function (event) {
  const button = event.target.closest("button[data-use]");
  if (!button) { return; }
  const source = document.getElementById(button.getAttribute("data-use"));
  const boxes = Array.from(document.querySelectorAll(
    "#form-response textarea[name=response], #form-close textarea[name=response]"));
  if (!source || !boxes.length) { return; }
  const text = source.textContent.trim();
  const current = boxes[0].value.trim();
  const question = button.getAttribute("data-confirm-replace");
  if (current && current !== text && question && !window.confirm(question)) { return; }
  boxes.forEach(function (box) { box.value = text; });
  boxes[0].focus();
  boxes[0].scrollIntoView({ block: "center" });
});
