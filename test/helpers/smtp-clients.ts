// Real SMTP clients for the gateway tests: nodemailer's SMTPConnection (what
// the relay uses), swaks and Python's smtplib (what other software does).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import SMTPConnection from "nodemailer/lib/smtp-connection/index.js";

const run = promisify(execFile);

export type NodemailerSession = {
  connection: SMTPConnection;
  send: (
    envelope: { from: string; to: string[] },
    message: Buffer | string,
  ) => Promise<{ accepted: string[]; rejected: string[]; response: string }>;
  close: () => void;
};

/** One nodemailer connection; every send() is another transaction on it. */
export async function connectNodemailer(
  port: number,
  options: { starttls?: boolean } = {},
): Promise<NodemailerSession> {
  const connection = new SMTPConnection({
    host: "127.0.0.1",
    port,
    name: "nodemailer.example.org",
    ignoreTLS: !options.starttls,
    requireTLS: Boolean(options.starttls),
    tls: { rejectUnauthorized: false },
  });
  await new Promise<void>((resolve, reject) => {
    connection.once("error", reject);
    connection.connect(() => resolve());
  });
  return {
    connection,
    send: (envelope, message) =>
      new Promise((resolve, reject) =>
        connection.send(envelope, message, (error, info) => {
          if (error) reject(error);
          else
            resolve({
              accepted: info.accepted.map(String),
              rejected: info.rejected.map(String),
              response: info.response,
            });
        }),
      ),
    close: () => connection.quit(),
  };
}

/** Runs swaks; resolves with its transcript whatever the exit code. */
export async function swaks(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run("/usr/bin/swaks", args, { timeout: 30_000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof e.code === "number" ? e.code : 1,
      output: (e.stdout ?? "") + (e.stderr ?? ""),
    };
  }
}

/** Runs a Python script with smtplib; returns what it printed as JSON. */
export async function python<T>(script: string, args: string[] = []): Promise<T> {
  const { stdout } = await run("python3", ["-c", script, ...args], { timeout: 30_000 });
  return JSON.parse(stdout) as T;
}
