// The page frame: login with a token, the navigation, role-dependent controls, status lines.

import { ApiError, ROLE_NAMES, allows, api, clearToken, setToken, token } from "./api.js";

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function setStatus(node, message, kind = "") {
  node.textContent = message;
  node.className = `status ${kind}`.trim();
}

export function errorText(error) {
  if (error instanceof ApiError) return error.message;
  return `Er ging iets mis: ${error.message || error}`;
}

export const nf = new Intl.NumberFormat("nl-NL", { maximumFractionDigits: 1 });
export const nf0 = new Intl.NumberFormat("nl-NL", { maximumFractionDigits: 0 });

export function formatDate(iso) {
  if (!iso) return "";
  const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString("nl-NL", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
}

/** Show or hide every element with data-min-role for this role. */
function applyRole(role) {
  for (const node of document.querySelectorAll("[data-min-role]")) {
    node.hidden = !allows(role, node.dataset.minRole);
  }
}

async function whoAmI() {
  return api.get("/v1/me");
}

function showLogin(onLogin) {
  const main = document.querySelector("main");
  const content = document.getElementById("content");
  content.hidden = true;
  document.getElementById("who").hidden = true;
  const status = el("p", { class: "status", role: "alert", id: "login-status" });
  const input = el("input", { id: "token", name: "token", type: "password", autocomplete: "off", required: true, "aria-describedby": "token-help" });
  const form = el(
    "form",
    { class: "panel login", id: "login" },
    el("h1", { text: "Inloggen" }),
    el("div", { class: "field" }, el("label", { for: "token", text: "Token" }), input),
    el("p", { id: "token-help", class: "muted", text: "De token die u van de beheerder kreeg (matcher token create). Hij blijft alleen in dit tabblad bewaard." }),
    el("button", { type: "submit", text: "Inloggen" }),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    setToken(input.value.trim());
    try {
      const me = await whoAmI();
      form.remove();
      onLogin(me);
    } catch (error) {
      clearToken();
      setStatus(status, error.status === 401 ? "Deze token is onbekend of ingetrokken." : errorText(error), "error");
    }
  });
  main.prepend(form);
  input.focus();
}

/** Start a page: ask for a token when there is none, then call render(me). */
export async function startPage(render) {
  const begin = (me) => {
    document.getElementById("content").hidden = false;
    const who = document.getElementById("who");
    who.hidden = false;
    document.getElementById("who-role").textContent = `${ROLE_NAMES[me.role] || me.role}${me.municipality ? `, ${me.municipality}` : ""}`;
    document.body.dataset.role = me.role;
    applyRole(me.role);
    render(me);
  };
  document.getElementById("logout").addEventListener("click", () => {
    clearToken();
    window.location.reload();
  });
  if (!token()) {
    showLogin(begin);
    return;
  }
  try {
    begin(await whoAmI());
  } catch (_) {
    clearToken();
    showLogin(begin);
  }
}
