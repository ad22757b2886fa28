// Fields of a message parsed by mailparser's simpleParser, as the composer
// uses them: only addresses it could send to, names and ids with no line
// breaks (they go back into headers).
import type { AddressObject } from "mailparser";
import { isValidRecipientAddress, type MailAddress } from "./model.ts";

export function parsedAddresses(value: AddressObject | AddressObject[] | undefined): MailAddress[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return list
    .flatMap((o) => o.value)
    .flatMap((a) => (a.group ? a.group : [a]))
    .filter((a) => a.address && isValidRecipientAddress(a.address.toLowerCase()))
    .map((a) => ({
      name: (a.name ?? "").replace(/[\r\n\0]+/g, " ").slice(0, 100),
      address: a.address!.toLowerCase(),
    }));
}

export function parsedMessageIds(value: string | string[] | undefined): string[] {
  const list = Array.isArray(value) ? value : value ? value.split(/\s+/) : [];
  return list.filter((x) => /^<[^<>\s]{1,900}>$/.test(x));
}

export function parsedSubject(value: string | undefined): string {
  return (value ?? "").replace(/[\r\n\0]+/g, " ").slice(0, 998);
}
