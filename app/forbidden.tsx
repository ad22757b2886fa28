import Link from "next/link";

export default function Forbidden() {
  return (
    <main className="auth-page">
      <h1>403 · Not allowed</h1>
      <p>This page is for administrators of this mail service.</p>
      <p>
        <Link href="/mail">Back to your mail</Link>
      </p>
    </main>
  );
}
