// A small dashboard over the recotrack API, typed by the client that openapi-typescript
// generates from openapi/openapi.json (scripts/openapi-check writes it to
// generated/recotrack.d.ts and compiles this file with `tsc --strict`). If the document and
// this code disagree on a path, a parameter or a field, the check fails.

import type { components, paths } from "./generated/recotrack";

type Schemas = components["schemas"];
export type Item = Schemas["RecommendationResponse"];
export type Page = Schemas["RecommendationPage"];
export type Counts = Schemas["Counts"];
export type Group = Schemas["Group"];
type ListQuery = NonNullable<paths["/api/v1/recommendations"]["get"]["parameters"]["query"]>;
type Problem = Schemas["Problem"];

/** An error the API answered, as its RFC 9457 problem document. */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.status} ${problem.title}: ${problem.detail ?? ""}`);
  }
}

/** A read-only client with a viewer API token (`POST /api/v1/tokens`, role `viewer`). */
export class Dashboard {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  private async get<T>(path: string, query: Record<string, string | number | boolean> = {}, prefer?: string): Promise<{ body: T; headers: Headers }> {
    const url = new URL(path, this.baseUrl);
    for (const [name, value] of Object.entries(query)) {
      url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (prefer !== undefined) {
      headers["prefer"] = prefer;
    }
    const response = await fetch(url, { headers });
    if (!response.ok) {
      throw new ApiError((await response.json()) as Problem);
    }
    return { body: (await response.json()) as T, headers: response.headers };
  }

  /** The headline figures of one report (by key), or of everything. */
  async summary(report?: string): Promise<Counts> {
    const query: Record<string, string> = report === undefined ? {} : { report };
    return (await this.get<Counts>("/api/v1/stats/summary", query)).body;
  }

  /** Every report with its figures, empty reports included. */
  async byReport(): Promise<Group[]> {
    return (await this.get<Group[]>("/api/v1/stats/by-report")).body;
  }

  /** Every stalled item of a report, longest idle first, following the cursor to the end. */
  async stalled(report: string): Promise<Item[]> {
    const items: Item[] = [];
    const query: ListQuery = { report, stalled: true, sort: "-last_activity", limit: 200 };
    let cursor: string | null | undefined;
    do {
      const page: Page = (
        await this.get<Page>("/api/v1/recommendations", { ...query, ...(cursor ? { cursor } : {}) }, "count=none")
      ).body;
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return items;
  }

  /** How many items a filter matches, exactly. */
  async count(query: ListQuery): Promise<number> {
    const { body } = await this.get<Page>("/api/v1/recommendations", { ...query, limit: 1 }, "count=exact");
    if (body.total_kind !== "exact" || body.total === null || body.total === undefined) {
      throw new Error("the API did not count exactly");
    }
    return body.total;
  }
}

/** One line per report: key, items, share implemented, stalled, overdue. */
export function table(groups: Group[]): string {
  return groups
    .map((g) => {
      const share = Math.round(g.implemented_share * 100);
      return `${g.key.padEnd(20)} ${String(g.total).padStart(4)} items  ${String(share).padStart(3)}% implemented  ${g.stalled} stalled  ${g.overdue} overdue`;
    })
    .join("\n");
}

/** Who owns an item, for a tooltip. */
export function owners(item: Item): string {
  return item.owners.map((o) => `${o.name} (${o.kind})`).join(", ") || "nobody";
}
