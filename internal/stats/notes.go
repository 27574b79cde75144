package stats

// Codes of the notes a row can carry besides its warnings: not doubts
// about the measurement but what the reader needs to read the figure
// right. They travel in Summary.Warnings, first, so that a row's last
// warning still explains a missing overhead.
const (
	// NoteExtraHop: the path crosses another node and back (a NodePort on
	// the node without the backend).
	NoteExtraHop = "extra-hop"
	// NoteNoHeaderTax: the path leaves an encapsulating pod network
	// unencapsulated, so it pays no header tax.
	NoteNoHeaderTax = "no-header-tax"
)
