"use client";

// A To/Cc/Bcc field: typed addresses become chips (on comma, semicolon,
// Enter, Tab or leaving the field), pasted lists become one chip per address
// (lib/mime/address-list.ts reads them: commas, semicolons, line breaks or
// spaces between them, quoted names with commas in them), invalid pieces are
// flagged at once, and suggestions come from the account's contacts as the
// user types.
import { useEffect, useId, useState } from "react";
import { isValidRecipientAddress, type MailAddress } from "@/lib/compose/model";
import { parseAddressList, splitTypedAddresses, type ListedAddress } from "@/lib/mime/address-list";
import { MAX_DISPLAY_NAME_LENGTH } from "@/lib/config/limits";
import { suggestContactsAction } from "../compose-actions";
import { Icon } from "@/app/_components/icons";

export type Chip = MailAddress & { valid: boolean };

/** A piece of an address list as a chip; one that is not an address shows as it was typed. */
function toChip(piece: ListedAddress): Chip {
  const address = piece.address.toLowerCase();
  if (!isValidRecipientAddress(address)) return { name: "", address: piece.text, valid: false };
  return { name: piece.name.slice(0, MAX_DISPLAY_NAME_LENGTH), address, valid: true };
}

/** `chips` with the new ones after them, each address once. */
function withChips(chips: Chip[], added: Chip[]): Chip[] {
  const out = [...chips];
  for (const chip of added) {
    if (!out.some((c) => c.address === chip.address)) out.push(chip);
  }
  return out;
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

  // Every chip of one commit is added in one change: a change per chip
  // would each start from the same old list, and only the last would stay.
  const add = (added: Chip[]) => {
    setText("");
    setSuggestions([]);
    const next = withChips(chips, added);
    if (next.length !== chips.length) onChange(next);
  };
  const commitText = (value: string) => add(parseAddressList(value).map(toChip));

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
              <Icon name="close" />
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
            // A comma or semicolon inside a quoted name does not end the address.
            const { done, rest } = splitTypedAddresses(e.target.value);
            if (done.length > 0) {
              add(done.map(toChip));
              setText(rest);
            } else setText(e.target.value);
          }}
          onPaste={(e) => {
            // A one-line input drops the line breaks of a pasted list (and
            // with them the separators): read the clipboard's own text.
            const pasted = e.clipboardData.getData("text/plain");
            if (!/[,;\r\n]/.test(pasted) && parseAddressList(pasted).length < 2) return;
            e.preventDefault();
            const input = e.currentTarget;
            const before = text.slice(0, input.selectionStart ?? text.length);
            const after = text.slice(input.selectionEnd ?? text.length);
            commitText(`${before}${pasted}${after}`);
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
              add([{ ...shown[active]!, valid: true }]);
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
                add([{ ...s, valid: true }]);
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
