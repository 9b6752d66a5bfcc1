package dev.quark.samples.jobs;

import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/**
 * What this node's jobs did for a report, and outages of customers' systems to make jobs fail.
 */
@RestController
class ReportController {

    private final ReportArchive archive;

    private final CustomerDirectory customers;

    ReportController(ReportArchive archive, CustomerDirectory customers) {
        this.archive = archive;
        this.customers = customers;
    }

    @GetMapping("/reports/{id}")
    ReportArchive.ReportView report(@PathVariable String id) {
        return this.archive.find(ReportIds.require(id))
            .orElseThrow(() -> new ResponseStatusException(HttpStatus.NOT_FOUND,
                    "No job of this node made report '" + id + "'"));
    }

    @PutMapping("/customers/{customer}/outage")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void startOutage(@PathVariable String customer) {
        this.customers.outage(ReportIds.requireCustomer(customer), true);
    }

    @DeleteMapping("/customers/{customer}/outage")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void endOutage(@PathVariable String customer) {
        this.customers.outage(ReportIds.requireCustomer(customer), false);
    }
}
