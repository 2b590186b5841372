// My account: who I am, password change (POST /auth/password: the current one, then the new one
// twice), two-factor enrolment (the otpauth:// link and recovery codes), sign out.
import { h, replace, field, showError, clearErrors, notice, pageHeader } from "./ui.js";

export async function render(ctx, main) {
  const box = h("div", { class: "messages", "aria-live": "polite" });
  const me = ctx.me;
  replace(main, pageHeader("My account",
    h("button", { type: "button", class: "secondary", text: "Sign out", onClick: async () => { try { await ctx.sb.auth.logout(); } finally { ctx.signedOut(); } } })),
  box,
  h("div", { class: "card" }, h("h2", { text: me.email ?? me.user_id }),
    h("p", { text: `Account ${me.account_id} · roles: ${(me.roles ?? []).join(", ") || "none"}${me.is_superadmin ? " · superadmin" : ""}` })),
  me.api_key ? null : passwordCard(ctx, me),
  me.api_key ? null : mfaCard(ctx));
}

/** The password change: 422 details land beside their fields (`current_password`, `new_password`). */
function passwordCard(ctx, me) {
  const formBox = h("div", { "aria-live": "polite" });
  const current = h("input", { type: "password", id: "current-password", name: "current_password", autocomplete: "current-password", required: true });
  const next = h("input", { type: "password", id: "new-password", name: "new_password", autocomplete: "new-password", required: true });
  const again = h("input", { type: "password", id: "new-password-again", name: "new_password_again", autocomplete: "new-password", required: true });
  const submit = h("button", { type: "submit", id: "change-password", text: "Change password" });
  const form = h("form", { class: "card", id: "password-form", novalidate: true },
    h("h2", { text: "Password" }),
    h("p", { class: "hint", text: "At least 12 characters with upper and lower case, a digit and a special character. Your other sign-ins end; this one stays." }),
    formBox,
    h("div", { class: "row" },
      field("Current password", current, { name: "current_password" }),
      field("New password", next, { name: "new_password" }),
      field("New password again", again, { name: "new_password_again" })),
    h("div", { class: "actions" }, submit,
      me.account_id === "SY0000" ? null : h("button", { type: "button", class: "link", text: "Forgot it? Mail me a reset link", onClick: reset })));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    replace(formBox);
    if (next.value !== again.value) {
      showError(formBox, { message: "The new passwords differ", details: [{ field: "new_password_again", message: "is not the same as the new password" }] }, form);
      return again.focus();
    }
    submit.disabled = true;
    try {
      await ctx.sb.auth.changePassword({ currentPassword: current.value, newPassword: next.value });
      for (const input of [current, next, again]) input.value = "";
      notice(formBox, "Password changed. Your other sign-ins have ended.");
    } catch (error) {
      showError(formBox, error, form);
    } finally {
      submit.disabled = false;
    }
  });
  async function reset() {
    try { await ctx.sb.auth.requestPasswordReset({ account: me.account_id, email: me.email }); notice(formBox, "If mail is set up, a reset link is on its way."); } catch (error) { showError(formBox, error); }
  }
  return form;
}

function mfaCard(ctx) {
  const mfaBox = h("div", { "aria-live": "polite" });
  const enrolButton = h("button", { type: "button", class: "secondary", id: "enrol-mfa", text: "Enrol an authenticator", onClick: enrol });
  const card = h("div", { class: "card", id: "mfa-card" }, h("h2", { text: "Two-factor sign-in" }),
    h("p", { class: "hint", text: "Enrol an authenticator app (TOTP). The secret and the recovery codes are shown once." }), mfaBox,
    h("div", { class: "actions" }, enrolButton));

  async function enrol() {
    try {
      const answer = await ctx.sb.auth.enrollMfa();
      const confirmBox = h("div", { class: "messages", "aria-live": "polite" });
      const code = h("input", { name: "code", id: "mfa-code", class: "code-input", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6 });
      const confirmForm = h("form", { id: "mfa-confirm-form", novalidate: true },
        field("First code from the app", code, { name: "code" }),
        h("div", { class: "actions" }, h("button", { type: "submit", id: "confirm-mfa", text: "Turn on" })));
      confirmForm.addEventListener("submit", async (event) => {
        event.preventDefault();
        try {
          await ctx.sb.auth.confirmMfa(code.value.trim());
          // The secret and the codes leave the page once they are confirmed.
          notice(mfaBox, "Two-factor sign-in is on. The next sign-in asks for a code.");
          enrolButton.hidden = true;
        } catch (error) { showError(confirmBox, error, confirmForm); }
      });
      replace(mfaBox,
        h("p", {}, "Add this to your authenticator app: ", h("a", { href: answer.otpauth_url, id: "otpauth-link", text: "otpauth link" })),
        h("p", {}, "Or type the secret: ", h("code", { id: "mfa-secret", class: "key-once", text: answer.secret })),
        h("p", { text: "Recovery codes (each works once; store them now):" }),
        h("pre", { class: "block", id: "recovery-codes", text: (answer.recovery_codes ?? []).join("\n") }),
        confirmBox,
        confirmForm);
      // Enrolling again replaces this secret and these codes.
      enrolButton.textContent = "Start again with a new secret";
      code.focus();
    } catch (error) { showError(mfaBox, error); }
  }
  return card;
}
