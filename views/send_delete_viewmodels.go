package views

// SendRef names another send on a page (a link to it, and its title).
type SendRef struct {
	ID    uint
	Title string
}
