// Sign in: account (slug or id; SY0000 for the superadmin), email, password, then the second step
// when two-factor sign-in is on. 401 and 429 answers are shown as the API words them (429 with the wait).
import { h, replace, field, showError } from "./ui.js";

export async function render(ctx, root, { signedIn }) {
  document.title = "Sign in · SnackBase";
  const box = h("div", { class: "messages", "aria-live": "polite" });
  const account = h("input", { name: "account", autocomplete: "organization", required: true, value: sessionStorage.getItem("console.lastAccount") ?? "" });
  const email = h("input", { name: "email", type: "email", autocomplete: "username", required: true });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit", text: "Sign in" });
  const form = h("form", { class: "card signin", id: "signin-form", novalidate: true },
    h("h1", {}, h("img", { src: "/_/icon.svg", alt: "", width: 28, height: 28 }), " SnackBase console"),
    h("p", { class: "hint", text: "Sign in with your account's slug or id. The superadmin signs in to SY0000." }),
    box,
    field("Account", account, { name: "account" }),
    field("Email", email, { name: "email" }),
    field("Password", password, { name: "password" }),
    h("div", { class: "actions" }, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    submit.textContent = "Signing in…";
    try {
      sessionStorage.setItem("console.lastAccount", account.value.trim());
      const answer = await ctx.sb.auth.login({ account: account.value.trim(), email: email.value.trim(), password: password.value });
      if (answer.mfaRequired) return secondStep(ctx, root, answer, signedIn);
      await signedIn();
    } catch (error) {
      showError(box, error, form);
      submit.disabled = false;
      submit.textContent = "Sign in";
    }
  });
  replace(root, h("main", { class: "signin-page" }, form));
  (account.value ? email : account).focus();
}

function secondStep(ctx, root, challenge, signedIn) {
  const box = h("div", { class: "messages", "aria-live": "polite" });
  const code = h("input", { name: "code", class: "code-input", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6, required: true });
  const recovery = h("input", { name: "recovery_code", autocomplete: "off" });
  const form = h("form", { class: "card signin", id: "mfa-form", novalidate: true },
    h("h1", { text: "Two-factor sign-in" }),
    h("p", { class: "hint", text: "Enter the 6-digit code from your authenticator app, or one of your recovery codes." }),
    box,
    field("Code", code, { name: "code" }),
    field("Or a recovery code", recovery, { name: "recovery_code" }),
    h("div", { class: "actions" }, h("button", { type: "submit", text: "Verify" })));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const step = recovery.value.trim()
        ? { mfaToken: challenge.mfaToken, recoveryCode: recovery.value.trim() }
        : { mfaToken: challenge.mfaToken, code: code.value.trim() };
      await ctx.sb.auth.verifyMfa(step);
      await signedIn();
    } catch (error) {
      showError(box, error, form);
    }
  });
  replace(root, h("main", { class: "signin-page" }, form));
  code.focus();
}
