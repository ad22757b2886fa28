"use client";

// One chart of the admin overview: a Recharts bar chart with an SVG title and
// description, followed by the same figures as a table, so screen readers and
// tests read exact numbers rather than bar heights.
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from "recharts";

export type ChartSeries = { key: string; label: string; color: string };

export type ChartProps = {
  id: string;
  title: string;
  /** One sentence saying what the chart shows, for its aria description. */
  description: string;
  /** Rows: a label plus one number per series key. */
  data: ({ label: string } & Record<string, number | string>)[];
  series: ChartSeries[];
  /** The label column's heading in the data table. */
  labelHeading: string;
  /** Horizontal bars with the labels down the side (long labels such as addresses). */
  horizontal?: boolean;
  /** Formats a value for the table and tooltip (default: the number). */
  unit?: "bytes";
};

function format(value: number, unit: ChartProps["unit"]): string {
  if (unit !== "bytes") return value.toLocaleString("en");
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = value;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function OverviewChart(props: ChartProps) {
  const { id, title, description, data, series, horizontal, unit } = props;
  const height = horizontal ? Math.max(160, data.length * 28 + 60) : 240;
  return (
    <figure
      className="overview-chart"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-desc`}
    >
      <figcaption>
        <h2 id={`${id}-title`}>{title}</h2>
        <p id={`${id}-desc`} className="overview-desc">
          {description}
        </p>
      </figcaption>
      <BarChart
        title={title}
        desc={description}
        data={data}
        layout={horizontal ? "vertical" : "horizontal"}
        responsive
        style={{ width: "100%", height }}
        margin={{ top: 8, right: 16, bottom: 8, left: 0 }}
      >
        <CartesianGrid strokeDasharray="3 3" />
        {horizontal ? (
          <>
            <XAxis type="number" tickFormatter={(v: number) => format(v, unit)} />
            <YAxis type="category" dataKey="label" width={180} />
          </>
        ) : (
          <>
            <XAxis dataKey="label" minTickGap={12} />
            <YAxis allowDecimals={false} tickFormatter={(v: number) => format(v, unit)} />
          </>
        )}
        <Tooltip formatter={(v) => format(Number(v), unit)} />
        {series.length > 1 ? <Legend /> : null}
        {series.map((s) => (
          <Bar
            key={s.key}
            dataKey={s.key}
            name={s.label}
            fill={s.color}
            isAnimationActive={false}
          />
        ))}
      </BarChart>
      <details className="overview-data">
        <summary>Data table: {title}</summary>
        <table data-testid={`${id}-table`}>
          <thead>
            <tr>
              <th scope="col">{props.labelHeading}</th>
              {series.map((s) => (
                <th key={s.key} scope="col">
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {data.map((row) => (
              <tr key={row.label}>
                <th scope="row">{row.label}</th>
                {series.map((s) => (
                  <td key={s.key}>{format(Number(row[s.key] ?? 0), unit)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
