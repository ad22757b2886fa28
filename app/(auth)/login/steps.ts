// Shared by the sign-in form and next-auth's password step: the error the
// password step answers for an account with two-step on, after which the
// form goes to the second step.
export const SECOND_STEP_REQUIRED = "second-step-required";
export const SECOND_STEP_PATH = "/login/verify";
