// SnackBaseAccess
