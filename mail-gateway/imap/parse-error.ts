// A command that does not follow the grammar: answered with BAD and the reason.
// A few well-formed commands name something that cannot exist (a mailbox
// name that is not valid modified UTF-7): those are NO, as Dovecot answers.
export class ParseError extends Error {
  constructor(
    message: string,
    readonly status: "BAD" | "NO" = "BAD",
  ) {
    super(message);
    this.name = "ParseError";
  }
}
