package dev.quark.samples.orders;

import dev.quark.durabletasks.DurableTaskClient;
import dev.quark.durabletasks.InstanceIdReusePolicy;
import dev.quark.durabletasks.OrchestrationAlreadyExistsException;
import dev.quark.durabletasks.OrchestrationNotFoundException;
import dev.quark.durabletasks.OrchestrationState;
import dev.quark.durabletasks.OrchestrationStateException;
import dev.quark.durabletasks.ScheduleOptions;
import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * The REST API of the orders: placing one schedules its saga; approving or cancelling one tells the saga.
 */
@RestController
@RequestMapping("/orders")
class OrderController {

    private final DurableTaskClient tasks;

    private final OrderProperties properties;

    OrderController(DurableTaskClient tasks, OrderProperties properties) {
        this.tasks = tasks;
        this.properties = properties;
    }

    @PostMapping
    @ResponseStatus(HttpStatus.ACCEPTED)
    OrderView place(@RequestBody Order order) {
        String problem = order.problem();
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        PlacedOrder placed = new PlacedOrder(order, order.amount() > this.properties.approvalThreshold(),
                this.properties.approvalTimeout());
        String id = this.tasks.schedule(OrderSaga.class, placed,
                ScheduleOptions.instanceId(instanceId(order.id())).withIdReusePolicy(InstanceIdReusePolicy.REJECT));
        return view(order.id(), this.tasks.getState(id).orElseThrow());
    }

    @PostMapping("/{id}/approval")
    @ResponseStatus(HttpStatus.ACCEPTED)
    void approve(@PathVariable String id, @RequestBody Approval approval) {
        this.tasks.raiseEvent(instanceId(id), "approval", approval);
    }

    @PostMapping("/{id}/cancel")
    @ResponseStatus(HttpStatus.ACCEPTED)
    void cancel(@PathVariable String id) {
        this.tasks.cancel(instanceId(id), "cancelled by the customer");
    }

    @GetMapping("/{id}")
    OrderView get(@PathVariable String id) {
        OrchestrationState state = this.tasks.getState(instanceId(id))
            .orElseThrow(() -> new OrchestrationNotFoundException(instanceId(id), "read the order"));
        return view(id, state);
    }

    @ExceptionHandler
    ProblemDetail badOrder(IllegalArgumentException ex) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, ex.getMessage());
    }

    @ExceptionHandler
    ProblemDetail placedTwice(OrchestrationAlreadyExistsException ex) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT, ex.getMessage());
    }

    @ExceptionHandler
    ProblemDetail unknownOrder(OrchestrationNotFoundException ex) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, ex.getMessage());
    }

    @ExceptionHandler
    ProblemDetail finishedOrder(OrchestrationStateException ex) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT, ex.getMessage());
    }

    private static String instanceId(String orderId) {
        return "order-" + orderId;
    }

    private static OrderView view(String orderId, OrchestrationState state) {
        return new OrderView(orderId, state.status().name(), state.readCustomStatus(String.class),
                state.readOutput(OrderResult.class));
    }

    /**
     * An order as the API shows it.
     *
     * @param id the order's id
     * @param status the saga's status ({@code PENDING}, {@code RUNNING}, {@code COMPLETED}, ...)
     * @param stage what the saga is doing or how it ended
     * @param result how the order ended, once it has
     */
    record OrderView(String id, String status, @Nullable String stage, @Nullable OrderResult result) {
    }
}
