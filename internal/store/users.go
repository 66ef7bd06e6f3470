package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/reelforge/reelforge/internal/auth"
	"github.com/reelforge/reelforge/internal/db"
)

// User is a person who signs in.
type User struct {
	ID           string    `json:"id"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	PasswordHash string    `json:"-"`
	Status       string    `json:"status"`
	Locale       string    `json:"locale"`
	LastLoginAt  time.Time `json:"last_login_at,omitzero"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

const userColumns = `id, email, name, password_hash, status, locale, last_login_at,
	created_at, updated_at`

func scanUser(row interface{ Scan(...any) error }) (*User, error) {
	u := &User{}
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &u.Status, &u.Locale,
		db.ScanTime(&u.LastLoginAt), db.ScanTime(&u.CreatedAt), db.ScanTime(&u.UpdatedAt))
	return u, err
}

// CreateUser inserts a user together with a personal organization that the
// user owns, so that every user can start a project at once.
func (s *Store) CreateUser(ctx context.Context, u *User) (*Organization, error) {
	now := db.Now()
	u.ID, u.CreatedAt, u.UpdatedAt = NewID(), now, now
	if u.Status == "" {
		u.Status = "active"
	}
	var org *Organization
	err := s.InTx(ctx, func(tx *Store) error {
		_, err := tx.q.ExecContext(ctx, `INSERT INTO users (`+userColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.Email, u.Name, u.PasswordHash, u.Status, u.Locale,
			db.NullTime(u.LastLoginAt), db.Time(now), db.Time(now))
		if err != nil {
			return wrap(err, "creating user")
		}
		name := u.Name
		if name == "" {
			name = u.Email
		}
		org = &Organization{Name: name, Slug: "u-" + u.ID, Personal: true, OwnerID: u.ID}
		return tx.CreateOrganization(ctx, org)
	})
	return org, err
}

// UserByID returns a user.
func (s *Store) UserByID(ctx context.Context, id string) (*User, error) {
	u, err := scanUser(s.queryRow(ctx,
		`SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	return u, wrap(err, "reading user")
}

// UserByEmail returns a user by lower-cased email.
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	u, err := scanUser(s.queryRow(ctx,
		`SELECT `+userColumns+` FROM users WHERE email = ?`, email))
	return u, wrap(err, "reading user")
}

// CountUsers returns the number of users, to detect a first start.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	return count(ctx, s.q, `SELECT COUNT(*) FROM users`)
}

// UpdateUser saves a user's name, locale and password hash.
func (s *Store) UpdateUser(ctx context.Context, u *User) error {
	u.UpdatedAt = db.Now()
	res, err := s.q.ExecContext(ctx, `UPDATE users SET name = ?, locale = ?,
		password_hash = ?, updated_at = ? WHERE id = ?`,
		u.Name, u.Locale, u.PasswordHash, db.Time(u.UpdatedAt), u.ID)
	return affected(res, err, "updating user")
}

// TouchLogin records a successful sign-in.
func (s *Store) TouchLogin(ctx context.Context, userID string) error {
	_, err := s.q.ExecContext(ctx, `UPDATE users SET last_login_at = ? WHERE id = ?`,
		db.Time(db.Now()), userID)
	return wrap(err, "recording login")
}

func affected(res sql.Result, err error, doing string) error {
	if err != nil {
		return wrap(err, doing)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(err, doing)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// Member is a user's membership in an organization or a project.
type Member struct {
	UserID    string    `json:"user_id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      auth.Role `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}
