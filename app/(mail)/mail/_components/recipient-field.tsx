"use client";

// A To/Cc/Bcc field: typed addresses become chips (on comma, semicolon,
// Enter, Tab or leaving the field), invalid ones are flagged at once, and
// suggestions come from the account's contacts as the user types.
import { useEffect, useId, useState } from "react";
import { isValidRecipientAddress, type MailAddress } from "@/lib/compose/model";
import { suggestContactsAction } from "../compose-actions";

export type Chip = MailAddress & { valid: boolean };

/** "Name <a@b>" or "a@b" as a chip. */
export function parseChip(text: string): Chip | null {
  const t = text
    .trim()
    .replace(/[,;]+$/, "")
    .trim();
  if (!t) return null;
  const m = /^(.*?)\s*<([^<>]*)>$/.exec(t);
  const name = (m ? m[1]! : "")
    .replace(/^"|"$/g, "")
    .replace(/[\r\n]+/g, " ")
    .trim();
  const address = (m ? m[2]! : t).trim().toLowerCase();
  return { name, address, valid: isValidRecipientAddress(address) };
}

export function RecipientField({
  label,
  chips,
  onChange,
  autoFocus,
}: {
  label: string;
  chips: Chip[];
  onChange: (chips: Chip[]) => void;
  autoFocus?: boolean;
}) {
  const inputId = useId();
  const listId = useId();
  const [text, setText] = useState("");
  const [suggestions, setSuggestions] = useState<MailAddress[]>([]);
  const [active, setActive] = useState(0);

  useEffect(() => {
    const typed = text.trim();
    if (typed.length < 1) return;
    let cancelled = false;
    const timer = setTimeout(() => {
      void suggestContactsAction(typed).then((found) => {
        if (cancelled) return;
        const have = new Set(chips.map((c) => c.address));
        setSuggestions(found.filter((s) => !have.has(s.address)));
        setActive(0);
      });
    }, 150);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [text, chips]);
  const shown = text.trim() ? suggestions : [];

  const add = (chip: Chip | null) => {
    setText("");
    setSuggestions([]);
    if (!chip || chips.some((c) => c.address === chip.address)) return;
    onChange([...chips, chip]);
  };
  const commitText = (value: string) => {
    for (const part of value.split(/[,;]/)) add(parseChip(part));
  };

  return (
    <div className="recipient-field">
      <label htmlFor={inputId}>{label}</label>
      <div className="chips">
        {chips.map((c) => (
          <span
            key={c.address}
            className={c.valid ? "chip" : "chip invalid"}
            data-testid="recipient-chip"
            data-address={c.address}
            title={c.valid ? c.address : `${c.address} is not a valid address`}
          >
            {c.name ? `${c.name} <${c.address}>` : c.address}
            {c.valid ? null : <span className="visually-hidden"> (invalid address)</span>}
            <button
              type="button"
              aria-label={`Remove ${c.address}`}
              onClick={() => onChange(chips.filter((x) => x.address !== c.address))}
            >
              ×
            </button>
          </span>
        ))}
        <input
          id={inputId}
          type="text"
          autoComplete="off"
          autoFocus={autoFocus}
          role="combobox"
          aria-expanded={shown.length > 0}
          aria-controls={listId}
          aria-autocomplete="list"
          value={text}
          onChange={(e) => {
            const value = e.target.value;
            if (/[,;]/.test(value)) commitText(value);
            else setText(value);
          }}
          onKeyDown={(e) => {
            if (e.key === "ArrowDown" && shown.length > 0) {
              e.preventDefault();
              setActive((i) => (i + 1) % shown.length);
            } else if (e.key === "ArrowUp" && shown.length > 0) {
              e.preventDefault();
              setActive((i) => (i - 1 + shown.length) % shown.length);
            } else if ((e.key === "Enter" || e.key === "Tab") && shown[active]) {
              e.preventDefault();
              add({ ...shown[active]!, valid: true });
            } else if (e.key === "Enter" && text.trim()) {
              e.preventDefault();
              commitText(text);
            } else if (e.key === "Backspace" && text === "" && chips.length > 0) {
              onChange(chips.slice(0, -1));
            }
          }}
          onBlur={() => {
            // Let a click on a suggestion land first.
            setTimeout(() => {
              setSuggestions([]);
            }, 150);
            if (text.trim()) commitText(text);
          }}
        />
      </div>
      {shown.length > 0 ? (
        <ul id={listId} role="listbox" className="suggestions" aria-label={`${label} suggestions`}>
          {shown.map((s, i) => (
            <li
              key={s.address}
              role="option"
              aria-selected={i === active}
              onMouseDown={(e) => {
                e.preventDefault();
                add({ ...s, valid: true });
              }}
            >
              {s.name ? `${s.name} <${s.address}>` : s.address}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
