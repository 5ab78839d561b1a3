// The functional tests start this host through WebApplicationFactory<Program>.
public partial class Program;
