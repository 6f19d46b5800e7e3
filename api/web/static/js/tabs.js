// The login shared between the open tabs of this site: a new tab asks the open ones for the token
// (a BroadcastChannel reaches only pages of the same origin), so a second tab of the same person
// needs no new login, while the token is still kept in no other place than the tabs' own
// sessionStorage (gone when the last tab closes). Logging out in one tab logs out all of them.

import { clearToken, token } from "./api.js";

const channel = typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel("wbb-login");

if (channel) {
  channel.addEventListener("message", (event) => {
    const message = event.data || {};
    if (message.ask && token()) channel.postMessage({ token: token() });
    if (message.logout && token()) {
      clearToken();
      window.location.reload();
    }
  });
}

/** The token of another open tab of this site, or null when none answers within ``ms``. */
export function askOpenTabs(ms = 300) {
  if (!channel) return Promise.resolve(null);
  return new Promise((resolve) => {
    const answer = (event) => {
      if (!event.data || !event.data.token) return;
      channel.removeEventListener("message", answer);
      clearTimeout(timer);
      resolve(event.data.token);
    };
    const timer = setTimeout(() => {
      channel.removeEventListener("message", answer);
      resolve(null);
    }, ms);
    channel.addEventListener("message", answer);
    channel.postMessage({ ask: true });
  });
}

/** Tell the other open tabs that this person logged out. */
export function logoutEverywhere() {
  if (channel) channel.postMessage({ logout: true });
}
