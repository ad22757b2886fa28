// GET /api/messages/:id/print – a message on its own page, for printing:
// headers, body (sanitized HTML or text) and attachment names; it opens the
// print dialog itself.
import { getMessageHtmlOrThrow, getMessageOrThrow } from "@/lib/store/get-message";
import { errorResponse, sessionAccountId } from "@/app/_server/mail";
import {
  CONTENT_SAFETY_HEADERS,
  escapeHtml,
  PRINT_SCRIPT,
  printCsp,
  requestOrigin,
  sanitizeMessageBody,
} from "@/app/_server/mail-documents";

export const dynamic = "force-dynamic";

const STYLE = `body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#111;background:#fff;margin:24px}
h1{font-size:20px;margin:0 0 12px}table.h{border-collapse:collapse;margin-bottom:16px}
table.h th{text-align:left;padding:2px 12px 2px 0;color:#555;font-weight:600;vertical-align:top}
.body{border-top:1px solid #ccc;padding-top:16px}pre{white-space:pre-wrap;font:inherit}img{max-width:100%;height:auto}`;

const list = (addresses: { name: string; address: string }[]) =>
  addresses.map((a) => (a.name ? `${a.name} <${a.address}>` : a.address)).join(", ");

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  const accountId = await sessionAccountId();
  if (!accountId) return new Response("Sign in first.", { status: 401 });
  try {
    const { id } = await params;
    const message = await getMessageOrThrow(accountId, id);
    let body: string;
    if (message.hasHtml) {
      const html = await getMessageHtmlOrThrow(accountId, id);
      body = sanitizeMessageBody(html.html ?? "", accountId, id, html.attachments);
    } else {
      body = `<pre>${escapeHtml(message.text)}</pre>`;
    }
    const rows: [string, string][] = [
      ["From", list([message.from])],
      ["To", list(message.to)],
      ["Cc", list(message.cc)],
      ["Date", message.date.toUTCString()],
      [
        "Attachments",
        message.attachments
          .filter((a) => !a.inline)
          .map((a) => a.filename ?? "attachment")
          .join(", "),
      ],
    ];
    const header = rows
      .filter(([, value]) => value !== "")
      .map(([name, value]) => `<tr><th>${name}</th><td>${escapeHtml(value)}</td></tr>`)
      .join("");
    const document = `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(message.subject || "(no subject)")}</title><style>${STYLE}</style></head><body><h1>${escapeHtml(message.subject || "(no subject)")}</h1><table class="h">${header}</table><div class="body">${body}</div><script>${PRINT_SCRIPT}</script></body></html>`;
    return new Response(document, {
      headers: {
        ...CONTENT_SAFETY_HEADERS,
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": printCsp(requestOrigin(request)),
        "x-frame-options": "DENY",
      },
    });
  } catch (error) {
    return errorResponse(error);
  }
}
