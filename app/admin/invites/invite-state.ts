import type { AdminActionState } from "../_server/admin-action-state";

/** What the create-invite action returns: the one time the code is shown. */
export type CreateInviteState = AdminActionState & {
  created?: {
    code: string;
    link: string;
    domain: string | null;
    maxUses: number;
    expiresAt: string;
  };
};
