// The page frame: login (with the municipality's sign-on or a token), the navigation,
// role-dependent controls, status lines.

import { ApiError, ROLE_NAMES, allows, api, clearToken, setToken, token, whenUnauthorized } from "./api.js";
import { askOpenTabs, logoutEverywhere } from "./tabs.js";
import { SsoError, finishSsoLogin, isSsoReturn, ssoConfig, ssoLogout, startSsoLogin } from "./sso.js";

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

/** Why the service refused a signed-in person, in Dutch (codes of the API's 403 answers). */
const REFUSED = {
  sso_no_role: "Uw account heeft geen rol voor deze dienst. Vraag de beheerder van de gemeente om een rol.",
  sso_no_municipality: "Uw account hoort bij geen gemeente van deze dienst, dus u ziet geen gegevens. Vraag de beheerder om de gemeente in uw account te zetten.",
  sso_no_corporation: "Uw account heeft de rol corporatie, maar noemt geen corporatie. Vraag de beheerder om de corporatie in uw account te zetten.",
  sso_role_conflict: "Uw account heeft de rol corporatie naast een rol van de gemeente; dat kan niet samen. Vraag de beheerder om één van beide.",
};

function refusalText(error) {
  if (error.code === "token_expired") return "Deze token is verlopen; vraag de beheerder om een nieuwe.";
  if (error.status === 401) return "Deze token is onbekend of ingetrokken.";
  if (error.status === 429) return "Te veel mislukte pogingen vanaf dit adres. Wacht even en probeer het dan opnieuw.";
  if (error.status === 403 && REFUSED[error.code]) return REFUSED[error.code];
  return errorText(error);
}

function ssoPanel(config, status) {
  const button = el("button", { type: "button", id: "sso-login", text: "Inloggen met de gemeente" });
  button.addEventListener("click", async () => {
    button.disabled = true;
    setStatus(status, "U gaat naar de inlogpagina van de gemeente…");
    try {
      await startSsoLogin(config);
    } catch (error) {
      button.disabled = false;
      setStatus(status, error instanceof SsoError ? error.message : errorText(error), "error");
    }
  });
  return [
    el("p", { class: "muted", text: "Met uw account bij de gemeente:" }),
    button,
    el("p", { class: "muted", text: "Of met een token:" }),
  ];
}

function showLogin(onLogin, message = "") {
  const main = document.querySelector("main");
  const content = document.getElementById("content");
  content.hidden = true;
  document.getElementById("who").hidden = true;
  const status = el("p", { class: "status", role: "alert", id: "login-status" });
  const config = ssoConfig();
  const input = el("input", { id: "token", name: "token", type: "password", autocomplete: "off", required: true, "aria-describedby": "token-help" });
  const form = el(
    "form",
    { class: "panel login", id: "login" },
    el("h1", { text: "Inloggen" }),
    config ? ssoPanel(config, status) : null,
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
      document.querySelector("#content h1").focus(); // after login the keyboard starts at the page, not the body
    } catch (error) {
      clearToken();
      setStatus(status, refusalText(error), "error");
    }
  });
  main.prepend(form);
  if (message) setStatus(status, message, "error");
  (config ? form.querySelector("#sso-login") : input).focus();
}

/** The provider sent the browser back: finish the login, then go where the person started. */
async function returnFromSso() {
  const config = ssoConfig();
  const { accessToken, returnTo } = await finishSsoLogin(config);
  setToken(accessToken);
  const target = returnTo.startsWith("/") && !returnTo.startsWith("//") ? returnTo : "/";
  if (target !== window.location.pathname) {
    window.location.replace(target);
    return false;
  }
  return true;
}

const LOGIN_MESSAGE = "wbb-login-message";

/** Start a page: finish a login at the provider, ask for a login when there is no token,
 * then call render(me). A token the API refuses later sends the page back to the login. */
export async function startPage(render) {
  const begin = (me) => {
    whenUnauthorized(() => {
      clearToken();
      sessionStorage.setItem(LOGIN_MESSAGE, "Uw inlogsessie is verlopen of ingetrokken. Log opnieuw in.");
      window.location.reload();
    });
    document.getElementById("content").hidden = false;
    const who = document.getElementById("who");
    who.hidden = false;
    const roleText = `${ROLE_NAMES[me.role] || me.role}${me.municipality ? `, ${me.municipality}` : ""}`;
    document.getElementById("who-role").textContent = me.actor && me.actor !== me.token_id ? `${me.actor} (${roleText})` : roleText;
    document.body.dataset.role = me.role;
    applyRole(me.role);
    render(me);
  };
  document.getElementById("logout").addEventListener("click", () => {
    clearToken();
    logoutEverywhere();
    if (!ssoLogout(ssoConfig())) window.location.reload();
  });
  if (isSsoReturn()) {
    try {
      if (!(await returnFromSso())) return;
    } catch (error) {
      clearToken();
      showLogin(begin, error instanceof SsoError ? error.message : errorText(error));
      return;
    }
  }
  const message = sessionStorage.getItem(LOGIN_MESSAGE) || "";
  sessionStorage.removeItem(LOGIN_MESSAGE);
  if (!token()) {
    showLogin(begin, message);
    // A second tab of the same person needs no new login: an open tab of this site lends its token.
    const shared = await askOpenTabs();
    if (shared && !token()) {
      setToken(shared);
      try {
        const me = await whoAmI();
        document.getElementById("login")?.remove();
        begin(me);
      } catch (_) {
        clearToken();
      }
    }
    return;
  }
  try {
    begin(await whoAmI());
  } catch (error) {
    clearToken();
    showLogin(begin, error instanceof ApiError && error.status === 403 ? refusalText(error) : "");
  }
}
