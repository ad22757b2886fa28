import type { Metadata } from "next";
import { notFound, redirect } from "next/navigation";
import { mustEnrolTwoStep } from "@/lib/auth/two-step-policy";
import { getConversation } from "@/lib/store/get-message";
import { listRows } from "@/lib/store/list-conversations";
import { getMailPreferences } from "@/lib/store/mail-preferences";
import { latestUndo } from "@/lib/store/undo";
import { getMailLayout } from "@/lib/accounts/user-settings";
import { announces, getNotificationSettings } from "@/lib/push/notification-settings";
import { listLabels } from "@/lib/store/labels";
import { getMessageMarks } from "@/lib/store/message-marks";
import { canUnsubscribe } from "@/lib/mime/list-unsubscribe";
import { getUnsubscribeOptions } from "@/lib/unsubscribe/unsubscribe";
import {
  currentAccount,
  currentMailboxes,
  orNotFound,
  toFolderDto,
  toRowDto,
} from "@/app/_server/mail";
import { toUndoDto } from "@/app/_server/undo";
import { Conversation } from "./_components/conversation";
import { LabelsProvider } from "./_components/label-context";
import { MailApp, type MailView } from "./_components/mail-app";
import { mailHref } from "./_components/mail-url";
import { MessageTools } from "./_components/message-tools";
import { NewMailNotifier } from "./_components/new-mail-notifier";
import "./mail.css";
import "./tools.css";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

const param = (value: string | string[] | undefined) => (typeof value === "string" ? value : "");

export async function generateMetadata({
  searchParams,
}: {
  searchParams: SearchParams;
}): Promise<Metadata> {
  const account = await currentAccount();
  const mailboxes = await currentMailboxes(account.id);
  const params = await searchParams;
  const inbox = mailboxes.find((m) => m.specialUse === "INBOX");
  const folder = mailboxes.find((m) => m.id === param(params.folder)) ?? inbox;
  const unread = inbox?.unreadCount ?? 0;
  const name = param(params.q) ? "Search results" : (folder?.name ?? "Mail");
  return { title: `${unread > 0 ? `(${unread}) ` : ""}${name}` };
}

// /mail?folder=<id> | ?q=<search>, plus &m=<message id> for the reading pane.
// Ids of other accounts' folders and messages are 404s (lib scopes every
// lookup to the signed-in account).
export default async function MailPage({ searchParams }: { searchParams: SearchParams }) {
  const account = await currentAccount();
  // An admin's requirement whose grace period is over: enrol first.
  if (await mustEnrolTwoStep(account.id)) redirect("/settings/security?required=1");
  const params = await searchParams;
  const [mailboxes, labels, notifications, layout] = await Promise.all([
    currentMailboxes(account.id),
    listLabels(account.id),
    getNotificationSettings(account.id),
    getMailLayout(account.id),
  ]);
  const query = param(params.q).trim().slice(0, 500);
  const folderParam = param(params.folder);
  const openId = param(params.m) || null;

  const inbox = mailboxes.find((m) => m.specialUse === "INBOX");
  const folder = folderParam ? mailboxes.find((m) => m.id === folderParam) : inbox;
  if (!folder && !query) notFound();

  const [undoOffer, page] = await Promise.all([
    latestUndo(account.id),
    listRows(account.id, {
      folderId: query ? null : folder!.id,
      query,
      conversations: layout.conversations,
      mailboxes,
    }),
  ]);
  const view: MailView = query
    ? {
        folderId: null,
        folderName: "Search",
        specialUse: null,
        query,
        unknownFolder: page.unknownFolder,
      }
    : {
        folderId: folder!.id,
        folderName: folder!.name,
        specialUse: folder!.specialUse,
        query: "",
        unknownFolder: null,
      };

  const undo = toUndoDto(undoOffer);
  const [conversation, preferences, marks, unsubscribe] = openId
    ? await Promise.all([
        orNotFound(getConversation(account.id, openId)),
        getMailPreferences(account.id),
        getMessageMarks(account.id, openId),
        orNotFound(getUnsubscribeOptions(account.id, openId)),
      ])
    : [null, null, null, null];

  return (
    <LabelsProvider labels={labels}>
      <MailApp
        account={{ address: account.address, displayName: account.displayName }}
        folders={mailboxes.map(toFolderDto)}
        view={view}
        list={{ items: page.items.map(toRowDto), nextCursor: page.nextCursor }}
        openId={conversation ? openId : null}
        openUnreadIds={conversation?.filter((m) => !m.seen).map((m) => m.id) ?? []}
        undo={undo}
        layout={layout}
      >
        {conversation && openId && marks ? (
          <MessageTools
            key={openId}
            messageId={openId}
            messageIds={
              layout.conversations
                ? conversation
                    .filter(
                      (m) => m.mailboxId === conversation.find((o) => o.id === openId)?.mailboxId,
                    )
                    .map((m) => m.id)
                : [openId]
            }
            keywords={marks.keywords}
            unsubscribe={
              unsubscribe && canUnsubscribe(unsubscribe)
                ? {
                    oneClick: unsubscribe.oneClick !== null,
                    mailto: unsubscribe.mailto?.to ?? null,
                    link: unsubscribe.link,
                  }
                : null
            }
            pinned={marks.pinned}
            snoozedUntil={marks.snoozedUntil?.toISOString() ?? null}
            listHref={mailHref({ folder: view.folderId, q: view.query || null })}
          />
        ) : null}
        {conversation && openId ? (
          <Conversation
            messages={conversation}
            openId={openId}
            trustedSenders={preferences?.remoteImagesFrom ?? []}
          />
        ) : null}
      </MailApp>
      <NewMailNotifier
        folders={mailboxes
          .filter((m) => announces(notifications, m))
          .map((m) => ({ id: m.id, name: m.name }))}
      />
    </LabelsProvider>
  );
}
