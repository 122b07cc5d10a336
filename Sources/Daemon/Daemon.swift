import Diagnostics
import Report
