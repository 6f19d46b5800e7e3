// A real OpenID provider for the tests (the certified `oidc-provider` package), on 127.0.0.1.
//
// Started by tests/oidc/openid_provider.py with one argument: a JSON file that names the port, the
// API's audience (a resource indicator), the clients and the users with their claims. It
// signs JWT access tokens for that audience with RS256 and also publishes an EC key, so a
// test can present a token whose algorithm does not fit the key it names.
//
// Besides the provider's own endpoints, a few test controls under /__control/:
//   POST /__control/rotate  {"keep_old": bool}  a new RSA signing key, without a restart of
//                                               this process (the old key stays published
//                                               when keep_old); answers {"kid"}
//   POST /__control/sign    {"header", "payload", "key": "rsa"|"ec"}  signs what it is given
//                                               with the current private key: tokens with a
//                                               wrong issuer, an expiry in the past, ...
//   GET  /__control/stats                       {"jwks_requests"}: how often the JWKS was read
// The login page (/interaction/<uid>) is this script's own: a plain form that checks the
// user's password and loads nothing from elsewhere (the package's development pages load
// web fonts from the internet). It listens on 127.0.0.1 only and never calls out.

import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";

import Provider from "oidc-provider";

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const issuer = `http://127.0.0.1:${config.port}`;
const audiences = [config.audience, ...(config.other_audiences || [])];

function rsaKey() {
  const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = privateKey.export({ format: "jwk" });
  return { ...jwk, kid: `rsa-${crypto.randomBytes(6).toString("hex")}`, alg: "RS256", use: "sig" };
}

function ecKey() {
  const { privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = privateKey.export({ format: "jwk" });
  return { ...jwk, kid: `ec-${crypto.randomBytes(6).toString("hex")}`, alg: "ES256", use: "sig" };
}

const state = { rsa: [rsaKey()], ec: ecKey(), jwksRequests: 0 };
const cookieKeys = [crypto.randomBytes(32).toString("hex")];

function account(id) {
  const user = config.users[id];
  if (!user) return undefined;
  return {
    accountId: id,
    async claims() {
      const claims = { sub: user.sub || id, preferred_username: id };
      if (user.name) claims.name = user.name;
      return claims;
    },
  };
}

// The claims the service reads, in every access token for a user.
function userClaims(accountId) {
  const user = config.users[accountId] || {};
  const claims = { preferred_username: accountId };
  if (user.name) claims.name = user.name;
  for (const [key, value] of Object.entries(user.claims || {})) claims[key] = value;
  return claims;
}

function build() {
  const provider = new Provider(issuer, {
    clients: config.clients.map((client) => ({
      client_id: client.client_id,
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code"],
      response_types: ["code"],
      redirect_uris: client.redirect_uris,
      post_logout_redirect_uris: client.redirect_uris,
    })),
    jwks: { keys: [...state.rsa, state.ec] },
    cookies: { keys: cookieKeys },
    findAccount: (ctx, id) => account(id),
    claims: { openid: ["sub"], profile: ["name", "preferred_username"] },
    pkce: { required: () => true },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => {
          ctx.body = page(
            "Uitloggen",
            `${form}<p>Wilt u uitloggen bij de test-gemeente?</p>` +
              '<button type="submit" form="op.logoutForm" value="yes" name="logout">Ja, uitloggen</button>',
          );
        },
        postLogoutSuccessSource: (ctx) => {
          ctx.body = page("Uitgelogd", "<p>U bent uitgelogd.</p>");
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => config.audience,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, indicator) => {
          if (!audiences.includes(indicator)) throw new Provider.errors.InvalidTarget();
          return {
            scope: "matcher",
            audience: indicator,
            accessTokenFormat: "jwt",
            accessTokenTTL: config.access_token_ttl || 600,
            jwt: { sign: { alg: "RS256" } },
          };
        },
      },
    },
    // First-party clients: the grant is given without a consent screen.
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope("openid profile");
      for (const indicator of audiences) grant.addResourceScope(indicator, "matcher");
      await grant.save();
      return grant;
    },
    extraTokenClaims: (ctx, token) => (token.kind === "AccessToken" && token.accountId ? userClaims(token.accountId) : undefined),
    clientBasedCORS: (ctx, origin, client) => client.redirectUris.some((uri) => new URL(uri).origin === origin),
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
  });
  provider.use(async (ctx, next) => {
    if (ctx.path === "/jwks") state.jwksRequests += 1;
    await next();
  });
  return provider;
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function page(title, body) {
  return `<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;
}

function loginPage(uid, error) {
  return page(
    "Inloggen bij de test-gemeente",
    `${error ? `<p role="alert">${escapeHtml(error)}</p>` : ""}` +
      `<form method="post" action="/interaction/${escapeHtml(uid)}/login">` +
      '<label>Gebruikersnaam <input name="login" autocomplete="off" required></label> ' +
      '<label>Wachtwoord <input name="password" type="password" required></label> ' +
      "<button type=\"submit\">Inloggen</button></form>",
  );
}

function readForm(req) {
  return new Promise((resolve) => {
    const parts = [];
    req.on("data", (chunk) => parts.push(chunk));
    req.on("end", () => resolve(new URLSearchParams(Buffer.concat(parts).toString("utf8"))));
  });
}

// The login step of the provider: show the form, check the password, finish the interaction.
async function interaction(req, res) {
  const provider = current;
  const details = await provider.interactionDetails(req, res);
  const html = (status, body) => {
    res.writeHead(status, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
    res.end(body);
  };
  if (details.prompt.name !== "login") {
    // Consent is given by loadExistingGrant for these first-party clients.
    return html(400, page("Fout", "<p>Onverwachte stap.</p>"));
  }
  if (req.method === "GET") return html(200, loginPage(details.uid));
  const form = await readForm(req);
  const login = form.get("login") || "";
  const user = config.users[login];
  if (!user || form.get("password") !== config.password) {
    return html(200, loginPage(details.uid, "Onbekende gebruikersnaam of verkeerd wachtwoord."));
  }
  return provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
}

let current = build();
let handler = current.callback();

function b64(value) {
  return Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
}

// Signs with the EC key (ES256) or the current RSA key, as RS256 or, when the header says
// so, PS256 (which the RSA key is not published for).
function sign(header, payload, which) {
  const jwk = which === "ec" ? state.ec : state.rsa[0];
  const key = crypto.createPrivateKey({ key: jwk, format: "jwk" });
  const input = Buffer.from(`${b64(header)}.${b64(payload)}`);
  let signature;
  if (which === "ec") signature = crypto.sign("sha256", input, { key, dsaEncoding: "ieee-p1363" });
  else if (header.alg === "PS256")
    signature = crypto.sign("sha256", input, { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  else signature = crypto.sign("sha256", input, key);
  return `${input.toString()}.${signature.toString("base64url")}`;
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    const parts = [];
    req.on("data", (chunk) => parts.push(chunk));
    req.on("end", () => {
      try {
        resolve(parts.length ? JSON.parse(Buffer.concat(parts).toString("utf8")) : {});
      } catch (error) {
        reject(error);
      }
    });
  });
}

async function control(req, res) {
  const answer = (status, body) => {
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const path = req.url.split("?")[0];
  if (req.method === "POST" && path === "/__control/rotate") {
    const body = await readJson(req);
    const fresh = rsaKey();
    state.rsa = body.keep_old ? [fresh, ...state.rsa] : [fresh];
    current = build();
    handler = current.callback();
    return answer(200, { kid: fresh.kid });
  }
  if (req.method === "POST" && path === "/__control/sign") {
    const body = await readJson(req);
    const which = body.key === "ec" ? "ec" : "rsa";
    const header = { kid: (which === "ec" ? state.ec : state.rsa[0]).kid, ...body.header };
    return answer(200, { token: sign(header, body.payload, which) });
  }
  if (req.method === "GET" && path === "/__control/stats") {
    return answer(200, { jwks_requests: state.jwksRequests, rsa_kid: state.rsa[0].kid, ec_kid: state.ec.kid, node: process.version });
  }
  return answer(404, { error: "unknown control" });
}

const server = http.createServer((req, res) => {
  if (req.url.startsWith("/interaction/")) {
    interaction(req, res).catch((error) => {
      res.writeHead(400, { "Content-Type": "text/plain; charset=utf-8" });
      res.end(`Inloggen mislukt: ${error.message}`);
    });
    return;
  }
  if (req.url.startsWith("/__control/")) {
    control(req, res).catch((error) => {
      res.writeHead(500);
      res.end(String(error));
    });
    return;
  }
  handler(req, res);
});

server.listen(config.port, "127.0.0.1", () => {
  process.stdout.write(`listening on ${issuer}\n`);
});

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
