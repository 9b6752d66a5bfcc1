package dev.quark.samples.jobs;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.quark.jobs.NonRetryableJobException;

import org.springframework.stereotype.Component;

/**
 * Where report data comes from: a stand-in for a customer's system, which can be made unreachable (through
 * {@code PUT /customers/{customer}/outage}) to see jobs fail, dead-letter and be requeued.
 */
@Component
public class CustomerDirectory {

    private final Set<String> unreachable = ConcurrentHashMap.newKeySet();

    /**
     * Reads how many activity rows a customer has over some months.
     * @param customer the customer
     * @param months how many months back
     * @return the number of rows, the same for the same customer and months
     * @throws NonRetryableJobException when the customer's system is unreachable: retrying would not help until
     * the outage ends, so the job goes to the dead letters at once, to be requeued then
     */
    public int rows(String customer, int months) {
        if (this.unreachable.contains(customer)) {
            throw new NonRetryableJobException("The system of customer '" + customer + "' is unreachable");
        }
        return months * (10 + Math.floorMod(customer.hashCode(), 90));
    }

    /**
     * Starts or ends an outage of a customer's system.
     * @param customer the customer
     * @param outage whether its system is unreachable from now on
     */
    public void outage(String customer, boolean outage) {
        if (outage) {
            this.unreachable.add(customer);
        }
        else {
            this.unreachable.remove(customer);
        }
    }
}
