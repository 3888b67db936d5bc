package model

import "time"

// FutureSkew is how far ahead of the clock a record may be dated before it
// counts as future-dated: ingest stores and flags such a record, reports
// count it in their data-quality line, and it never moves a default report
// window. Five minutes covers ordinary clock skew between systems.
const FutureSkew = 5 * time.Minute
