// Package workflows holds Tempest's Temporal workflows. They are thin and
// deterministic: every side effect (reading the source, talking to the target)
// is an activity, and all the logic those activities run lives in internal/.
//
// Shape of an import:
//
//	ImportWorkflow (ID import/<task>)
//	  Scan                         list and route the source files
//	  CreateSchemas                databases and tables
//	  TableImportWorkflow × N      one child per table, ≤ table-concurrency at once
//	    [physical] ClaimEngineNode pick the worker (node queue) that will hold the engine
//	    PlanTable                  cut data files into chunks with row-ID ranges
//	    ImportChunk × M            ≤ region-concurrency at once per table
//	                               (physical: encode into the chunk's data engine and the
//	                               table's index engine, on the node queue)
//	    [physical] ImportEngine    per data engine as soon as its chunks are encoded, then the
//	                               index engine: split/scatter, Write + MultiIngest; heartbeats
//	    PostProcess                checksum / analyze / auto-ID rebase
//	  CreateViews                  after every table
//	  Cleanup                      on a disconnected context: also after failure or cancel
//
// Workflow history replaces Lightning's checkpoints: a finished chunk is a
// completed activity in the child's history, a running chunk resumes from its
// committed position (see activities.ImportChunk), and a table with thousands
// of chunks continues-as-new carrying only the chunks not yet started. For the
// physical backend, a node that stops polling its queue makes the table start
// a new engine generation on another worker (activity IDs get a #gen suffix)
// instead of waiting forever.
//
// Controls: the "progress" query returns a progress.Import; the "pause" and
// "resume" updates (and signals of the same names) stop and restart the
// dispatch of new chunks — running chunks finish their current batch and
// complete; cancelling the workflow cancels children and running activities
// (which see it at their next heartbeat) and then runs Cleanup.
package workflows
