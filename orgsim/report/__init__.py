"""Reading results: number formats, figures and the HTML report."""
