// Two-step verification state of an account. The second factors themselves
// (authenticator app, passkeys, recovery codes) and app passwords build on
// this one column, so every path asks the same question the same way.
export interface TwoStepState {
  twoStepEnabledAt: Date | null;
}

export function isTwoStepEnabled(account: TwoStepState): boolean {
  return account.twoStepEnabledAt !== null;
}
