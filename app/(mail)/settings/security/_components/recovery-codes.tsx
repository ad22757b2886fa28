/** New recovery codes, shown once, and the button that puts them away. */
export function RecoveryCodes({
  codes,
  lost,
  onSaved,
}: {
  codes: string[];
  /** What the codes stand in for ("your phone", "your passkey"). */
  lost: string;
  onSaved: () => void;
}) {
  return (
    <>
      <p>
        Save these recovery codes somewhere safe. Each one signs you in once if you lose {lost}.
        They are shown only now.
      </p>
      <ul className="recovery-codes" aria-label="Recovery codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ul>
      <button className="button" type="button" onClick={onSaved}>
        I have saved my codes
      </button>
    </>
  );
}
