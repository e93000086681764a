package analyze

// Rank orders kinds by danger, in the order of the Kind constants: select
// 0, transaction 1, set 2, utility 3, insert 4, copy 5, update 6, merge 7,
// delete 8, call 9, ddl 10, privilege 11, unknown 12. A statement that
// does several things has the kind of the most dangerous one. Any value
// that is not one of the constants ranks as unknown.
func Rank(k Kind) int {
	switch k {
	case KindSelect:
		return 0
	case KindTransaction:
		return 1
	case KindSet:
		return 2
	case KindUtility:
		return 3
	case KindInsert:
		return 4
	case KindCopy:
		return 5
	case KindUpdate:
		return 6
	case KindMerge:
		return 7
	case KindDelete:
		return 8
	case KindCall:
		return 9
	case KindDDL:
		return 10
	case KindPrivilege:
		return 11
	}
	return 12
}
