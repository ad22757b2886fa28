// Which passwords are accepted at signup and password change (NIST SP
// 800-63B §5.1.1.2: a length floor and a blocklist of common passwords, no
// composition rules).
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "../config/limits.ts";
import { isStorableText } from "../validation/storable-text.ts";

// Common passwords of at least the minimum length, from public breach
// frequency lists (the shorter ones are refused by length already).
const COMMON_PASSWORDS = new Set(
  `1234567890 0123456789 0987654321 1111111111 0000000000 1234512345 1122334455 1234567891
  12345678910 123456789a 123456789q 1q2w3e4r5t 1q2w3e4r5t6y 1qaz2wsx3edc qwertyuiop qwertyuiop123
  qwerty1234 qwerty12345 qwerty123456 asdfghjkl1 asdfghjkl123 zxcvbnm123 zxcvbnm1234 password12
  password123 password1234 password12345 password! password1! passw0rd123 p@ssw0rd123 p@ssword123
  iloveyou12 iloveyou123 iloveyou1234 princess123 sunshine123 football123 baseball123 basketball
  basketball1 superman123 batman12345 starwars123 whatever123 trustno1234 letmein123 letmein1234
  welcome123 welcome1234 welcome2024 welcome2025 welcome2026 monkey12345 dragon12345 master12345
  michael123 jennifer123 jordan2323 charlie123 123abc123abc abc1234567 abcd123456 abcdefghij
  abcdefg123 abc123abc123 a1b2c3d4e5 aaaaaaaaaa qqqqqqqqqq 9876543210 5555555555 7777777777
  1231231231 1212121212 1234554321 123qweasdzxc qweasdzxc123 q1w2e3r4t5 q1w2e3r4t5y6 passwordpassword
  changeme123 changeme1234 administrator admin12345 admin123456 adminadmin root123456 test123456
  testtest123 default123 computer123 internet123 football1234 liverpool1 liverpool123 chelsea123
  arsenal123 manchester1 manchester123 pokemon123 minecraft1 minecraft123 fortnite123 samsung123
  iphone1234 google1234 facebook123 linkedin123 summer2024 summer2025 summer2026 winter2024
  winter2025 winter2026 spring2025 autumn2025 password2024 password2025 password2026 secret12345
  mypassword mypassword1 mypassword123 ilovemyself loveyou1234 hello12345 hello123456 helloworld
  helloworld1 helloworld123 freedom123 blink182182 1qazxsw23edc zaq12wsxcde zaq1zaq1zaq1 1qaz1qaz1qaz
  qazwsxedc123 qazwsxedcrfv`
    .split(/\s+/)
    .filter(Boolean),
);

/** Returns why the password is refused, or null when it is acceptable. */
export function passwordProblem(
  password: string,
  context: { address?: string } = {},
): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) {
    return `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    return `Use at most ${MAX_PASSWORD_LENGTH} characters.`;
  }
  // Only the hash is stored, but IMAP and POP3 cannot send a NUL (nor SASL
  // PLAIN, where it separates the fields): mail apps could never sign in.
  if (!isStorableText(password)) {
    return "A password cannot contain NUL characters or invalid Unicode.";
  }
  const lower = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) {
    return "This password is too common; choose one that is harder to guess.";
  }
  if (new Set(lower).size <= 2) {
    return "This password is too easy to guess; use more different characters.";
  }
  if (context.address) {
    const local = context.address.split("@")[0]!.toLowerCase();
    if (
      lower === context.address.toLowerCase() ||
      (lower.includes(local) && local.length >= 4 && lower.length - local.length < 4)
    ) {
      return "Don't base your password on your address.";
    }
  }
  return null;
}
