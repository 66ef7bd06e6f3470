package db

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// timeLayout is fixed-width, so that in SQLite, where times are text, string
// order is time order, and MySQL's DATETIME(6) accepts it as a literal.
const timeLayout = "2006-01-02 15:04:05.000000"

// Time is a value to pass as a query argument for a time column: UTC,
// microsecond precision, the same text in both dialects.
func Time(t time.Time) driver.Valuer { return timeValue(t) }

type timeValue time.Time

func (t timeValue) Value() (driver.Value, error) {
	return time.Time(t).UTC().Format(timeLayout), nil
}

// NullTime is Time for a nullable column: the zero time becomes NULL.
func NullTime(t time.Time) driver.Valuer { return nullTimeValue(t) }

type nullTimeValue time.Time

func (t nullTimeValue) Value() (driver.Value, error) {
	if time.Time(t).IsZero() {
		return nil, nil
	}
	return time.Time(t).UTC().Format(timeLayout), nil
}

// ScanTime returns a scanner that stores a time column into dst; NULL leaves
// the zero time. It accepts the time.Time of MySQL and the text of SQLite.
func ScanTime(dst *time.Time) *TimeScanner { return &TimeScanner{dst: dst} }

// TimeScanner implements sql.Scanner for ScanTime.
type TimeScanner struct{ dst *time.Time }

// Scan implements sql.Scanner.
func (s *TimeScanner) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.dst = time.Time{}
	case time.Time:
		*s.dst = v.UTC()
	case string:
		return s.parse(v)
	case []byte:
		return s.parse(string(v))
	default:
		return fmt.Errorf("db: scanning %T into a time", src)
	}
	return nil
}

func (s *TimeScanner) parse(v string) error {
	for _, layout := range []string{timeLayout, time.RFC3339Nano, "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, v); err == nil {
			*s.dst = t.UTC()
			return nil
		}
	}
	return fmt.Errorf("db: parsing time %q", v)
}

// Now returns the current time at the precision the database keeps, so a
// value written and read back compares equal.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
