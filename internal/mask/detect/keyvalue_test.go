package detect

import "testing"

func TestKeyValues(t *testing.T) {
	runCases(t, []scanCase{
		// A password key: the value, whatever it looks like.
		tc("host=db user=app password=hunter2 sslmode=require", "password=hunter2"),
		tc(`{"password": "correct horse battery staple"}`, "password=correct horse battery staple"),
		tc(`{"passwd":"p\"w"}`, `password=p\"w`),
		tc("DB_PASSWORD: s3cr3t!", "password=s3cr3t!"),
		tc("?user=ada&pwd=x1&next=/", "password=x1"),
		tc(`{\"password\":\"hunter2\"}`, "password=hunter2"), // JSON inside a JSON string
		tc(`"password_hash": "`+bcrypt+`"`, "password_hash="+bcrypt),
		tc(`{"password": ""}`),
		tc(`{"password": null}`),
		tc("password=${DB_PASSWORD}"),
		tc("password: ********"),
		tc("password=?"),
		tc("WHERE password = $1"),
		tc(`{"password_changed_at": "2024-01-15"}`),
		tc(`{"password_reset_required": true}`),
		// Names and addresses under their keys.
		tc(`{"first_name": "Ada", "last_name": "Lovelace"}`, "keyed_name=Ada", "keyed_name=Lovelace"),
		tc("full_name: Ada King, Countess of Lovelace\n", "keyed_name=Ada King"),
		tc(`{"street": "12 St James's Square", "city": "London"}`, "keyed_address=12 St James's Square"),
		tc(`{"address": {"street": "Baker Street 221B"}}`, "keyed_address=Baker Street 221B"),
		tc(`{"name": "Widget", "file_name": "a.txt", "username": "ada"}`),
		tc(`{"first_name": null}`),
		// Other keys are hints for the value's detectors.
		tc(`{"ssn":"123456789","phone":"4155552671","dob":"1990-05-17"}`,
			"us_ssn=123456789", "phone=4155552671", "date_of_birth=1990-05-17"),
		tc("sin=987654324", "ca_sin=987654324"),
		tc("aadhaar: 987654321096", "in_aadhaar=987654321096"),
		tc(`{"order_id":"123456789","count":"4155552671"}`),
		tc(`{"dob": "not a date"}`),
		// Prose is not YAML: an unquoted key marks a whole value only where
		// it begins an entry. Hints still apply anywhere.
		tc("Reset your password: click the link"),
		tc("the first_name: Ada"),
		tc("db:\n  password: hunter2\n", "password=hunter2"),
		tc("- password: hunter2", "password=hunter2"),
		tc("{user: ada, password: hunter2}", "password=hunter2"),
		tc("Customer phone: 4155552671", "phone=4155552671"),
		tc("reset with password=hunter2", "password=hunter2"),
		// Not keys.
		tc("https://example.com:8080/x"),
		tc("time 12:30:45, a==b"),
	})
}

func TestDateOfBirth(t *testing.T) {
	runCases(t, []scanCase{
		tch("1990-05-17", "dob", "date_of_birth=1990-05-17"),
		tch("17/05/1990", "date_of_birth", "date_of_birth=17/05/1990"),
		tch("05/17/1990", "birth_date", "date_of_birth=05/17/1990"),
		tch("17.5.1990", "birthday", "date_of_birth=17.5.1990"),
		tch("1990-05-17T00:00:00Z", "dob", "date_of_birth=1990-05-17"),
		tch("1990-05-17 00:00:00", "dob", "date_of_birth=1990-05-17"),
		tch("2000-02-29", "dob", "date_of_birth=2000-02-29"),
		tc("1990-05-17"), // no hint
		tch("1990-05-17", "created_at"),
		tch("1900-02-29", "dob"), // not a leap year
		tch("1990-13-01", "dob"),
		tch("32/01/1990", "dob"),
		tch("1850-01-01", "dob"),
		tch("1990-05-17-1", "dob"),
	})
}
