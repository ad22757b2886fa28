// A command that does not follow the grammar: answered with BAD and the reason.
export class ParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ParseError";
  }
}
