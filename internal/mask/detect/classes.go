// Package detect recognises sensitive data.
package detect

// Class is a classification of sensitive data.
type Class string

const (
	Email       Class = "email"
	Phone       Class = "phone"
	PersonName  Class = "person_name"
	NationalID  Class = "national_id"
	CardNumber  Class = "card_number"
	IBAN        Class = "iban"
	Secret      Class = "secret"
	Address     Class = "address"
	DateOfBirth Class = "date_of_birth"
	IPAddress   Class = "ip_address"
)

// Finding is one sensitive value inside a text: text[Start:End].
type Finding struct {
	Start, End int
	Class      Class
	Detector   string
}
