"use client";

// The composer's rich-text body: Tiptap (ProseMirror) with bold, italic,
// lists, links, quotes and inline images. It produces HTML; the server
// sanitizes it again before anything is sent (lib/compose/build-message.ts).
import Image from "@tiptap/extension-image";
import Placeholder from "@tiptap/extension-placeholder";
import { EditorContent, useEditor, type Editor } from "@tiptap/react";
import StarterKit from "@tiptap/starter-kit";
import { useEffect, useRef } from "react";
import { Icon } from "@/app/_components/icons";

function ToolbarButton({
  label,
  active,
  onClick,
  children,
}: {
  label: string;
  active?: boolean;
  onClick: () => void;
  children: React.ReactNode;
}) {
  return (
    <button
      type="button"
      className="editor-button"
      aria-label={label}
      title={label}
      aria-pressed={active ?? undefined}
      onMouseDown={(e) => e.preventDefault()}
      onClick={onClick}
    >
      {children}
    </button>
  );
}

export function RichEditor({
  initialHtml,
  onChange,
  onPickImage,
  editorRef,
}: {
  initialHtml: string;
  onChange: (html: string) => void;
  /** Asks for an image file; resolves with the URL it was uploaded to, or null. */
  onPickImage: () => Promise<string | null>;
  editorRef?: React.RefObject<Editor | null>;
}) {
  const changed = useRef(onChange);
  useEffect(() => {
    changed.current = onChange;
  });
  const editor = useEditor({
    extensions: [
      StarterKit.configure({
        heading: false,
        codeBlock: false,
        link: { openOnClick: false, autolink: true, protocols: ["mailto"] },
      }),
      Image.configure({ inline: true }),
      Placeholder.configure({ placeholder: "Write your message" }),
    ],
    content: initialHtml,
    immediatelyRender: false,
    editorProps: {
      attributes: {
        class: "rich-editor-content",
        role: "textbox",
        "aria-multiline": "true",
        "aria-label": "Message body",
      },
    },
    onUpdate: ({ editor: e }) => changed.current(e.getHTML()),
  });
  useEffect(() => {
    if (editorRef) editorRef.current = editor;
  }, [editor, editorRef]);

  if (!editor) return <div className="rich-editor loading">Loading editor…</div>;
  const chain = () => editor.chain().focus();
  return (
    <div className="rich-editor">
      <div className="editor-toolbar" role="toolbar" aria-label="Formatting">
        <ToolbarButton
          label="Bold"
          active={editor.isActive("bold")}
          onClick={() => chain().toggleBold().run()}
        >
          <b>B</b>
        </ToolbarButton>
        <ToolbarButton
          label="Italic"
          active={editor.isActive("italic")}
          onClick={() => chain().toggleItalic().run()}
        >
          <i>I</i>
        </ToolbarButton>
        <ToolbarButton
          label="Bulleted list"
          active={editor.isActive("bulletList")}
          onClick={() => chain().toggleBulletList().run()}
        >
          <Icon name="bulletList" />
        </ToolbarButton>
        <ToolbarButton
          label="Numbered list"
          active={editor.isActive("orderedList")}
          onClick={() => chain().toggleOrderedList().run()}
        >
          <Icon name="numberedList" />
        </ToolbarButton>
        <ToolbarButton
          label="Quote"
          active={editor.isActive("blockquote")}
          onClick={() => chain().toggleBlockquote().run()}
        >
          <Icon name="quote" />
        </ToolbarButton>
        <ToolbarButton
          label="Link"
          active={editor.isActive("link")}
          onClick={() => {
            const current = (editor.getAttributes("link").href as string | undefined) ?? "https://";
            const href = window.prompt("Link address", current);
            if (href === null) return;
            if (href.trim() === "") chain().unsetLink().run();
            else chain().extendMarkRange("link").setLink({ href: href.trim() }).run();
          }}
        >
          <Icon name="link" />
        </ToolbarButton>
        <ToolbarButton
          label="Insert image"
          onClick={async () => {
            const src = await onPickImage();
            if (src) chain().setImage({ src }).run();
          }}
        >
          <Icon name="image" />
        </ToolbarButton>
      </div>
      <EditorContent editor={editor} />
    </div>
  );
}

export type { Editor };
