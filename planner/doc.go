// Package planner builds logical plans from bound statements, optimizes
// them with rules, compiles them into exec operators, compiles a lambda view
// into its batch plan and stream graph, and rewrites every query over a view
// into the split at the batch watermark.
package planner
