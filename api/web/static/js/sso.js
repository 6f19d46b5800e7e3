// Sign in with the municipality's identity provider: OpenID Connect, authorization code with
// PKCE (S256), state and nonce checked. The page is a public client: no secret. The access
// token it gets is the bearer for the API, kept in sessionStorage like a local token.
//
// The settings come from <meta name="sso-..."> tags that the service writes when single
// sign-on is configured for the pages; without them, sign-on is not offered.

const PENDING = "wbb-sso-pending";
const ID_TOKEN = "wbb-sso-id-token";

export class SsoError extends Error {}

/** The sign-on settings of this service, or null when the pages do not offer it. */
export function ssoConfig() {
  const meta = (name) => document.querySelector(`meta[name="sso-${name}"]`)?.content || "";
  const issuer = meta("issuer");
  const clientId = meta("client-id");
  if (!issuer || !clientId) return null;
  return { issuer, clientId, scope: meta("scope") || "openid profile", resource: meta("resource") };
}

function base64url(bytes) {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomText(size = 32) {
  return base64url(crypto.getRandomValues(new Uint8Array(size)));
}

async function challengeFor(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

function redirectUri() {
  return `${window.location.origin}/`;
}

async function discovery(config) {
  let response;
  try {
    response = await fetch(`${config.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`, { cache: "no-store" });
  } catch (_) {
    throw new SsoError("De inlogdienst van de gemeente is niet bereikbaar. Probeer het later opnieuw.");
  }
  if (!response.ok) throw new SsoError("De inlogdienst van de gemeente is niet bereikbaar. Probeer het later opnieuw.");
  const metadata = await response.json();
  if (metadata.issuer !== config.issuer) throw new SsoError("De inlogdienst van de gemeente is niet goed ingesteld (issuer).");
  return metadata;
}

/** Go to the provider's login page; comes back to this site's root with a code. */
export async function startSsoLogin(config) {
  const metadata = await discovery(config);
  const verifier = randomText(48);
  const pending = {
    state: randomText(),
    nonce: randomText(),
    verifier,
    returnTo: window.location.pathname + window.location.search,
    tokenEndpoint: metadata.token_endpoint,
    endSession: metadata.end_session_endpoint || "",
  };
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
  const params = new URLSearchParams({
    response_type: "code",
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    scope: config.scope,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await challengeFor(verifier),
    code_challenge_method: "S256",
  });
  if (config.resource) params.set("resource", config.resource);
  window.location.assign(`${metadata.authorization_endpoint}?${params}`);
}

/** True when this page load is the provider sending the browser back after a login. */
export function isSsoReturn() {
  const params = new URLSearchParams(window.location.search);
  return sessionStorage.getItem(PENDING) !== null && (params.has("code") || params.has("error")) && params.has("state");
}

function claimsOf(jwt) {
  const part = (jwt || "").split(".")[1] || "";
  const padded = part.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((part.length + 3) % 4);
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(padded), (c) => c.charCodeAt(0))));
}

/** Finish a login: check state and issuer, trade the code for tokens, check the ID token's
 * nonce, issuer and audience. Returns { accessToken, returnTo }. */
export async function finishSsoLogin(config) {
  const params = new URLSearchParams(window.location.search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
  sessionStorage.removeItem(PENDING);
  window.history.replaceState(null, "", window.location.pathname);
  if (!pending || params.get("state") !== pending.state) {
    throw new SsoError("Inloggen is niet gelukt: het antwoord van de inlogdienst hoort niet bij deze aanvraag. Probeer het opnieuw.");
  }
  if (params.has("iss") && params.get("iss") !== config.issuer) {
    throw new SsoError("Inloggen is niet gelukt: het antwoord komt van een andere inlogdienst.");
  }
  if (params.has("error")) {
    const reason = params.get("error") === "access_denied" ? "de toegang is geweigerd" : `foutcode ${params.get("error")}`;
    throw new SsoError(`Inloggen bij de gemeente is niet gelukt (${reason}).`);
  }
  const body = new URLSearchParams({
    grant_type: "authorization_code",
    code: params.get("code") || "",
    redirect_uri: redirectUri(),
    client_id: config.clientId,
    code_verifier: pending.verifier,
  });
  if (config.resource) body.set("resource", config.resource);
  let response;
  try {
    response = await fetch(pending.tokenEndpoint, { method: "POST", body, cache: "no-store" });
  } catch (_) {
    throw new SsoError("De inlogdienst van de gemeente is niet bereikbaar. Probeer het later opnieuw.");
  }
  if (!response.ok) throw new SsoError("Inloggen is niet gelukt: de inlogdienst gaf geen toegang. Probeer het opnieuw.");
  const tokens = await response.json();
  let idClaims;
  try {
    idClaims = claimsOf(tokens.id_token);
  } catch (_) {
    throw new SsoError("Inloggen is niet gelukt: de inlogdienst stuurde geen geldig identiteitsbewijs.");
  }
  const audiences = Array.isArray(idClaims.aud) ? idClaims.aud : [idClaims.aud];
  if (idClaims.nonce !== pending.nonce || idClaims.iss !== config.issuer || !audiences.includes(config.clientId)) {
    throw new SsoError("Inloggen is niet gelukt: het identiteitsbewijs hoort niet bij deze aanvraag.");
  }
  if (!tokens.access_token) throw new SsoError("Inloggen is niet gelukt: de inlogdienst stuurde geen toegangstoken.");
  sessionStorage.setItem(ID_TOKEN, JSON.stringify({ idToken: tokens.id_token, endSession: pending.endSession }));
  return { accessToken: tokens.access_token, returnTo: pending.returnTo || "/" };
}

/** Log out at the provider too when this tab signed in there; false when it did not. */
export function ssoLogout(config) {
  const stored = JSON.parse(sessionStorage.getItem(ID_TOKEN) || "null");
  sessionStorage.removeItem(ID_TOKEN);
  if (!config || !stored || !stored.endSession) return false;
  const params = new URLSearchParams({
    id_token_hint: stored.idToken,
    client_id: config.clientId,
    post_logout_redirect_uri: redirectUri(),
  });
  window.location.assign(`${stored.endSession}?${params}`);
  return true;
}
