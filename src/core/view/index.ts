/** Profile → ready-to-plot view models, deltas between them, and the host side of the webview feed. */
export { buildProfileView, buildComparisonView, pointsPerSeries, processKeys, scriptTitle, viewHasSite,
  MAX_POINTS_PER_SERIES, SITE_ROWS_LIMIT, ViewCache, type BuildOptions } from "./build";
export { diffProfileViews, applyProfileViewDelta, deltaSections, deepEqual } from "./delta";
export { lttb, lttbIndices, extremes, mergeBuckets, type Points, type LttbState } from "./lttb";
export { ViewFeed, type FeedHost, type FeedOptions } from "./feed";
export * from "./format";
