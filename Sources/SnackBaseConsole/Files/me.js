// My account: who I am, password change (account admins: through the users API; others: by mail),
// two-factor enrolment (the otpauth:// link and recovery codes), sign out.
import { h, replace, field, showError, notice, pageHeader } from "./ui.js";

export async function render(ctx, main) {
  const box = h("div", { class: "messages", "aria-live": "polite" });
  const mfaBox = h("div", { "aria-live": "polite" });
  const me = ctx.me;
  const password = h("input", { type: "password", name: "password", autocomplete: "new-password" });
  const passwordForm = h("form", { class: "card", id: "password-form", novalidate: true },
    h("h2", { text: "Password" }),
    ctx.isAdmin && !ctx.isSuperadmin
      ? [field("New password", password, { name: "password" }), h("div", { class: "actions" }, h("button", { type: "submit", text: "Change password" }))]
      : h("p", {}, "Ask for a reset link by mail: ", h("button", { type: "button", class: "secondary small", text: "Send me a reset link", onClick: reset })));
  passwordForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    try { await ctx.sb.users.update(me.user_id, { password: password.value }); password.value = ""; notice(box, "Password changed."); } catch (error) { showError(box, error, passwordForm); }
  });
  async function reset() {
    try { await ctx.sb.auth.requestPasswordReset({ account: me.account_id, email: me.email }); notice(box, "If mail is set up, a reset link is on its way."); } catch (error) { showError(box, error); }
  }
  const mfa = h("div", { class: "card" }, h("h2", { text: "Two-factor sign-in" }),
    h("p", { class: "hint", text: "Enrol an authenticator app (TOTP). You get recovery codes once." }), mfaBox,
    h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", id: "enrol-mfa", text: "Enrol an authenticator", onClick: enrol })));
  replace(main, pageHeader("My account",
    h("button", { type: "button", class: "secondary", text: "Sign out", onClick: async () => { try { await ctx.sb.auth.logout(); } finally { ctx.signedOut(); } } })),
  box,
  h("div", { class: "card" }, h("h2", { text: me.email ?? me.user_id }),
    h("p", { text: `Account ${me.account_id} · roles: ${(me.roles ?? []).join(", ") || "none"}${me.is_superadmin ? " · superadmin" : ""}` })),
  passwordForm, mfa);

  async function enrol() {
    try {
      const answer = await ctx.sb.auth.enrollMfa();
      const code = h("input", { name: "code", inputmode: "numeric", autocomplete: "one-time-code" });
      const confirmForm = h("form", { novalidate: true }, field("First code from the app", code, { name: "code" }), h("button", { type: "submit", text: "Turn on" }));
      confirmForm.addEventListener("submit", async (event) => {
        event.preventDefault();
        try { await ctx.sb.auth.confirmMfa(code.value.trim()); notice(mfaBox, "Two-factor sign-in is on."); } catch (error) { showError(mfaBox, error, confirmForm); }
      });
      replace(mfaBox,
        h("p", {}, "Add this to your authenticator app: ", h("a", { href: answer.otpauth_url, text: "otpauth link" })),
        h("p", {}, "Secret: ", h("code", { text: answer.secret })),
        h("p", { text: "Recovery codes (each works once; store them now):" }),
        h("pre", { class: "block", text: (answer.recovery_codes ?? []).join("\n") }),
        confirmForm);
    } catch (error) { showError(mfaBox, error); }
  }
}
