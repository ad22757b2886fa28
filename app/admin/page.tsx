import type { Metadata } from "next";
import { requireAdmin } from "@/app/_server/admin";
import { DAYS, HOURS, loadOverview, OUTCOME_DAYS, type VolumePoint } from "@/lib/admin/overview";
import { OverviewChart } from "./_overview/overview-chart";
import "./_overview/overview.css";

export const metadata: Metadata = { title: "Overview" };

// Labels are made here in UTC, so the server's and the browser's renders agree.
const hourLabel = (d: Date) => `${d.toISOString().slice(11, 13)}:00`;
const dayLabel = (d: Date) => d.toISOString().slice(0, 10);

const VOLUME_SERIES = [
  { key: "received", label: "Received", color: "#2563eb" },
  { key: "sent", label: "Sent", color: "#d97706" },
  { key: "junk", label: "Junk", color: "#7c3aed" },
  { key: "rejected", label: "Rejected", color: "#dc2626" },
];

function VolumeChart(props: {
  id: string;
  period: string;
  unit: "Hour" | "Day";
  points: VolumePoint[];
  label: (d: Date) => string;
}) {
  return (
    <OverviewChart
      id={props.id}
      title={`Messages per ${props.unit.toLowerCase()}, ${props.period} (UTC)`}
      description={`Messages delivered to mailboxes here (received), messages users sent, inbound copies filed as Junk and inbound messages refused by the spam checks, per ${props.unit.toLowerCase()}.`}
      labelHeading={`${props.unit} (UTC)`}
      data={props.points.map((p) => ({
        label: props.label(p.start),
        received: p.received,
        sent: p.sent,
        junk: p.junk,
        rejected: p.rejected,
      }))}
      series={VOLUME_SERIES}
    />
  );
}

export default async function OverviewPage() {
  await requireAdmin();
  const overview = await loadOverview();
  return (
    <>
      <h1>Overview</h1>
      <p className="overview-queue">
        Outbound queue now: <strong data-testid="queue-size">{overview.queueSize}</strong>{" "}
        {overview.queueSize === 1 ? "recipient" : "recipients"} waiting
      </p>
      <div className="overview-grid">
        <VolumeChart
          id="hourly"
          period={`last ${HOURS} hours`}
          unit="Hour"
          points={overview.hourly}
          label={hourLabel}
        />
        <VolumeChart
          id="daily"
          period={`last ${DAYS} days`}
          unit="Day"
          points={overview.daily}
          label={dayLabel}
        />
        <OverviewChart
          id="outcomes"
          title={`Outbound deliveries by outcome, last ${OUTCOME_DAYS} days`}
          description="Recipients queued for other mail servers, by where their delivery stands now."
          labelHeading="Outcome"
          data={overview.outcomes.map((o) => ({ label: o.status, recipients: o.count }))}
          series={[{ key: "recipients", label: "Recipients", color: "#059669" }]}
        />
        <OverviewChart
          id="storage"
          title="Storage used by the largest accounts"
          description="The accounts using the most storage, with their quota."
          labelHeading="Account"
          horizontal
          unit="bytes"
          data={overview.largestAccounts.map((a) => ({
            label: a.address,
            used: a.usedBytes,
            quota: a.quotaBytes,
          }))}
          series={[
            { key: "used", label: "Used", color: "#7c3aed" },
            { key: "quota", label: "Quota", color: "#cbd5e1" },
          ]}
        />
        <OverviewChart
          id="signups"
          title={`Signups per day, last ${DAYS} days (UTC)`}
          description="Accounts created per day."
          labelHeading="Day (UTC)"
          data={overview.signups.map((s) => ({ label: dayLabel(s.day), accounts: s.count }))}
          series={[{ key: "accounts", label: "New accounts", color: "#0891b2" }]}
        />
      </div>
    </>
  );
}
