package detect_test

import (
	"fmt"

	"github.com/dbward/dbward/internal/mask/detect"
)

func ExampleScan() {
	text := []byte(`{"contact": "ada@example.com", "card": "4111 1111 1111 1111", "order": "4111111111111112"}`)
	for _, f := range detect.Scan(nil, text, "") {
		fmt.Printf("%s %s %q\n", f.Class, f.Detector, text[f.Start:f.End])
	}
	// Output:
	// email email "ada@example.com"
	// card_number card "4111 1111 1111 1111"
}

func ExampleScan_hint() {
	// A bare nine-digit number is an SSN only when the column says so.
	fmt.Println(detect.Contains([]byte("536904399"), ""))
	fmt.Println(detect.Contains([]byte("536904399"), "customer_ssn"))
	// Output:
	// false
	// true
}

func ExampleClassOfName() {
	for _, name := range []string{"customer_email", "EmailAddress", "email_verified", "zip", "zip_file", "remote_addr"} {
		fmt.Printf("%s: %q\n", name, detect.ClassOfName(name))
	}
	// Output:
	// customer_email: "email"
	// EmailAddress: "email"
	// email_verified: ""
	// zip: "address"
	// zip_file: ""
	// remote_addr: "ip_address"
}
