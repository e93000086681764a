package detect

import "testing"

func TestIBAN(t *testing.T) {
	runCases(t, []scanCase{
		tc("GB82WEST12345698765432", "iban=GB82WEST12345698765432"),
		tc("iban: GB82 WEST 1234 5698 7654 32.", "iban=GB82 WEST 1234 5698 7654 32"),
		tc("DE89370400440532013000", "iban=DE89370400440532013000"),
		tc("FR14 2004 1010 0505 0001 3M02 606", "iban=FR14 2004 1010 0505 0001 3M02 606"),
		tc("NL91ABNA0417164300", "iban=NL91ABNA0417164300"),
		tc("BE68539007547034", "iban=BE68539007547034"),
		tc("CH9300762011623852957", "iban=CH9300762011623852957"),
		tc("ES9121000418450200051332", "iban=ES9121000418450200051332"),
		tc("IT60X0542811101000000123456", "iban=IT60X0542811101000000123456"),
		tc("NO9386011117947", "iban=NO9386011117947"),
		tc("GB82west12345698765432", "iban=GB82west12345698765432"), // BBAN in lower case
		tc("GB82WEST12345698765433"),                                // mod 97 fails
		tc("GB82 WEST 1234 5698 7654 33"),                           // mod 97 fails
		tc("GB00WEST12345698765432"),                                // check digits 00
		tc("GB82WEST1234569876543"),                                 // one short for GB
		tc("GB82WEST123456987654321"),                               // one long
		tc("XX82WEST12345698765432"),                                // no such country
		tc("gb82WEST12345698765432"),                                // country in lower case
		tc("GB82 WEST12345698765432"),                               // grouped, then not
		tc("GB82WEST12345698765432_x"),                              // inside a word
	})
}
