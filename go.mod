module github.com/vanitydb/vanity

go 1.26.8
