// Calls to the /v1 API with the bearer token kept in sessionStorage (never in URLs or logs).

const KEY = "wbb-token";
const ROLES = ["viewer", "officer", "wbb", "admin"];

export const ROLE_NAMES = { viewer: "kijker", officer: "beleidsmedewerker", wbb: "WBB", admin: "beheerder", corporation: "corporatie" };

export function token() {
  return sessionStorage.getItem(KEY);
}

export function setToken(value) {
  sessionStorage.setItem(KEY, value);
}

export function clearToken() {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem("wbb-me");
}

let onUnauthorized = null;

/** What to do when the API refuses the token of a page already in use (it expired or was
 * revoked): the page frame logs out and asks to log in again. */
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

export function allows(role, needed) {
  // A corporation's staff member is outside the ladder: its own page only, which no other role has.
  if (role === "corporation" || needed === "corporation") return role === needed;
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

const REQUEST_PARTS = new Set(["invoer", "adres", "verzoek", "scenario", "body", "query", "path", "request"]);

/** One problem as a line: "households.csv, rij 14, kolom max_occupants: verwacht ..." (file, row, column),
 * or "veld decided_by: ..." for a field of a form. */
export function problemText(p) {
  const where = [];
  if (p.source && !REQUEST_PARTS.has(p.source)) where.push(p.source);
  if (p.row) where.push(`rij ${p.row}`);
  if (p.column) where.push(`${REQUEST_PARTS.has(p.source) ? "veld" : "kolom"} ${p.column}`);
  return where.length ? `${where.join(", ")}: ${p.message}` : p.message;
}

/** An error answer of the service, with its message and problems in one line each. */
export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    const problems = (error.problems || []).map(problemText);
    super([error.message || `Fout ${status}`, ...problems].join("\n"));
    this.status = status;
    this.code = error.code;
    this.problems = error.problems || [];
  }
}

async function request(method, path, { json, form, raw } = {}) {
  // The service words its error messages in Dutch for the pages (the codes stay English).
  const headers = { Authorization: `Bearer ${token() || ""}`, "Accept-Language": "nl" };
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  const response = await fetch(path, { method, headers, body, cache: "no-store" });
  if (response.status === 401 && onUnauthorized) onUnauthorized();
  if (!response.ok) {
    let parsed = null;
    try {
      parsed = await response.json();
    } catch (_) {
      parsed = null;
    }
    throw new ApiError(response.status, parsed);
  }
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

export const api = {
  get: (path) => request("GET", path),
  post: (path, json) => request("POST", path, { json }),
  put: (path, json) => request("PUT", path, { json }),
  upload: (path, form) => request("POST", path, { form }),
  raw: (path) => request("GET", path, { raw: true }),
};

/** Poll a job (run or scenario run) until it has ended (done, failed or cancelled); onProgress sees every state. */
export async function follow(path, onProgress, intervalMs = 400) {
  for (;;) {
    const job = await api.get(path);
    onProgress(job);
    if (job.status === "done" || job.status === "failed" || job.status === "cancelled") return job;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Download a file the API answers with (the token goes in the header, not the URL). */
export async function download(path, fallbackName) {
  const response = await api.raw(path);
  const disposition = response.headers.get("Content-Disposition") || "";
  const match = disposition.match(/filename="([^"]+)"/);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = match ? match[1] : fallbackName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
