//! Permissions are code (one per page and per workflow action, so the compiler knows every
//! check); roles are data that an admin edits. Built-in roles are seeded from here.

use serde::{Deserialize, Serialize};

macro_rules! permissions {
    ($($variant:ident = $key:literal, $en:literal, $zh:literal;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Permission { $($variant),* }

        impl Permission {
            pub const ALL: &'static [Permission] = &[$(Permission::$variant),*];

            /// The stable name stored in the database.
            pub fn key(self) -> &'static str {
                match self { $(Permission::$variant => $key),* }
            }

            pub fn from_key(key: &str) -> Option<Self> {
                match key { $($key => Some(Permission::$variant),)* _ => None }
            }

            pub fn label(self, lang: crate::i18n::Lang) -> &'static str {
                match (self, lang) {
                    $((Permission::$variant, crate::i18n::Lang::En) => $en,
                      (Permission::$variant, crate::i18n::Lang::Zh) => $zh,)*
                }
            }
        }
    };
}

permissions! {
    // Pages: one per department home and per admin page.
    ProductPage = "page.product", "Product department pages", "商品部门页面";
    OrdersPage = "page.orders", "Order department pages", "订单部门页面";
    WarehousePage = "page.warehouse", "Warehouse pages", "仓储页面";
    LogisticsPage = "page.logistics", "Logistics pages", "物流页面";
    ServicePage = "page.service", "Customer-service pages", "客服页面";
    MarketingPage = "page.marketing", "Marketing pages", "营销页面";
    FinancePage = "page.finance", "Finance pages", "财务页面";
    OperationsPage = "page.operations", "Operations dashboards (all departments)", "运营看板（全部门）";
    PortalPage = "page.portal", "Customer portal", "客户门户";
    AuditLogView = "audit.view", "Read the audit log", "查看审计日志";
    // Administration.
    UserManage = "admin.users", "Manage users", "管理用户";
    RoleManage = "admin.roles", "Manage roles and permissions", "管理角色与权限";
    // Improvement suggestions (workflow actions).
    SuggestionView = "suggestion.view", "Read improvement suggestions", "查看改进建议";
    SuggestionSubmit = "suggestion.submit", "Submit an improvement suggestion", "提交改进建议";
    SuggestionReview = "suggestion.review", "Accept or reject suggestions", "评审改进建议";
    SuggestionAssign = "suggestion.assign", "Assign an owner to a suggestion", "指派建议负责人";
    SuggestionImplement = "suggestion.implement", "Mark a suggestion implemented", "确认建议已实施";
    // Products: the listing review and the catalog.
    ProductView = "product.view", "Read products, drafts included", "查看商品（含草稿）";
    ProductEdit = "product.edit", "Draft and edit products, submit them for review", "创建编辑商品并提交审核";
    ProductApprove = "product.approve", "Approve or return products under review", "审核商品（通过/退回）";
    ProductDelist = "product.delist", "Delist and relist products", "商品下架与重新上架";
    CategoryManage = "category.manage", "Manage the category tree", "管理商品类目";
    PriceChange = "price.change", "Change prices of listed products (within the limit) and request larger changes", "调整在售商品价格（限额内）并申请更大调价";
    PriceApprove = "price.approve", "Approve price changes beyond the limit or under cost; handle price alerts", "审批超限或低于成本的调价；处理价格预警";
    PromoSchedule = "price.promo", "Schedule promotional prices", "设置促销价";
    // Inventory.
    StockView = "stock.view", "Search stock and its movements across warehouses", "查询各仓库存及流水";
    StockReserve = "stock.reserve", "Reserve, release and commit stock for orders", "为订单预留、释放、扣减库存";
    WarehouseManage = "warehouse.manage", "Manage warehouses", "管理仓库";
    ReceiptRegister = "receipt.register", "Register inbound receipts", "登记入库单";
    ReceiptInspect = "receipt.inspect", "Count and inspect inbound goods", "入库清点与质检";
    ReceiptPost = "receipt.post", "Post inspected goods to stock", "质检合格品入账";
    StockAlertHandle = "alert.stock", "Handle low-stock alerts", "处理低库存预警";
    StockTransfer = "stock.transfer", "Request, ship and receive transfers between warehouses", "申请、发出、接收仓间调拨";
    StockCount = "stock.count", "Count stock and post small adjustments", "盘点并过账小额调整";
    StockAdjustApprove = "stock.adjust_approve", "Approve large stock adjustments", "审批大额库存调整";
    // Orders.
    OrderPlace = "order.place", "Shop: keep a cart, place, pay and cancel one's own orders", "购物：购物车、下单、付款、取消本人订单";
    OrderView = "order.view", "Read all customers' orders", "查看全部客户订单";
    OrderReview = "order.review", "Confirm, cancel and complete orders", "确认、取消、完成订单";
    OrderFulfil = "order.fulfil", "Pick and pack orders", "订单拣货与打包";
    OrderShip = "order.ship", "Ship orders and record delivery", "订单发货与签收登记";
    ReturnReview = "return.review", "Approve or reject returns, hand refunds to finance, send exchanges", "审核退换货、转财务退款、发出换货";
    ReturnReceive = "return.receive", "Receive and inspect returned goods", "退货收货与质检";
    ExceptionHandle = "exception.handle", "Report, investigate and resolve shipping exceptions", "登记、调查、处理物流异常";
    CarrierManage = "carrier.manage", "Configure carriers, their shipping services and prices", "配置承运商及其配送服务与运费";
    // Customer service.
    TicketOpen = "ticket.open", "Open tickets (customers their own, agents for a caller) and write on them", "提交工单（客户本人；客服代来电客户）并留言";
    TicketView = "ticket.view", "Read all tickets and the service queue", "查看全部工单及客服队列";
    TicketHandle = "ticket.handle", "Triage, answer, escalate, resolve and merge tickets", "工单分类、回复、升级、解决与合并";
    TicketSupervise = "ticket.supervise", "Supervise the service desk: SLA breach alerts and the business calendar", "客服主管：SLA 超时预警与工作日历";
    TicketTaskAnswer = "ticket.task_answer", "Answer questions customer service escalates to one's department", "答复客服升级到本部门的问题";
    OutboxView = "outbox.view", "Read the email outbox", "查看待发邮件";
    OutboxManage = "outbox.manage", "Retry undelivered mail in the outbox", "重试未送达的邮件";
}

/// A department: a section of the navigation, entered with its page permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Department {
    Product,
    Orders,
    Warehouse,
    Logistics,
    Service,
    Marketing,
    Finance,
    Operations,
}

impl Department {
    pub const ALL: &'static [Department] = &[
        Department::Product,
        Department::Orders,
        Department::Warehouse,
        Department::Logistics,
        Department::Service,
        Department::Marketing,
        Department::Finance,
        Department::Operations,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Department::Product => "product",
            Department::Orders => "orders",
            Department::Warehouse => "warehouse",
            Department::Logistics => "logistics",
            Department::Service => "service",
            Department::Marketing => "marketing",
            Department::Finance => "finance",
            Department::Operations => "operations",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|d| d.key() == key)
    }

    pub fn page_permission(self) -> Permission {
        match self {
            Department::Product => Permission::ProductPage,
            Department::Orders => Permission::OrdersPage,
            Department::Warehouse => Permission::WarehousePage,
            Department::Logistics => Permission::LogisticsPage,
            Department::Service => Permission::ServicePage,
            Department::Marketing => Permission::MarketingPage,
            Department::Finance => Permission::FinancePage,
            Department::Operations => Permission::OperationsPage,
        }
    }

    /// The built-in roles that work in this department.
    pub fn roles(self) -> &'static [Role] {
        match self {
            Department::Product => &[Role::ProductManager, Role::ProductSpecialist],
            Department::Orders => &[Role::OrderClerk],
            Department::Warehouse => &[Role::WarehouseStaff],
            Department::Logistics => &[Role::LogisticsCoordinator],
            Department::Service => &[Role::ServiceAgent, Role::SeniorServiceAgent],
            Department::Marketing => &[Role::Marketing],
            Department::Finance => &[Role::Finance],
            Department::Operations => &[Role::OperationsManager],
        }
    }
}

/// The built-in roles. An admin may add more (they exist only as data), rename these, or
/// change their permissions; workflow declarations name these as step owners.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    Admin,
    ProductManager,
    ProductSpecialist,
    OrderClerk,
    WarehouseStaff,
    LogisticsCoordinator,
    ServiceAgent,
    SeniorServiceAgent,
    Marketing,
    Finance,
    OperationsManager,
    Customer,
    /// Any member of staff (used as the owner of steps anyone may take).
    AnyStaff,
}

impl Role {
    pub const BUILT_IN: &'static [Role] = &[
        Role::Admin,
        Role::ProductManager,
        Role::ProductSpecialist,
        Role::OrderClerk,
        Role::WarehouseStaff,
        Role::LogisticsCoordinator,
        Role::ServiceAgent,
        Role::SeniorServiceAgent,
        Role::Marketing,
        Role::Finance,
        Role::OperationsManager,
        Role::Customer,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::ProductManager => "product_manager",
            Role::ProductSpecialist => "product_specialist",
            Role::OrderClerk => "order_clerk",
            Role::WarehouseStaff => "warehouse_staff",
            Role::LogisticsCoordinator => "logistics_coordinator",
            Role::ServiceAgent => "service_agent",
            Role::SeniorServiceAgent => "senior_service_agent",
            Role::Marketing => "marketing",
            Role::Finance => "finance",
            Role::OperationsManager => "operations_manager",
            Role::Customer => "customer",
            Role::AnyStaff => "staff",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::BUILT_IN.iter().copied().find(|r| r.key() == key)
    }

    pub fn name(self, lang: crate::i18n::Lang) -> &'static str {
        use crate::i18n::Lang::*;
        match (self, lang) {
            (Role::Admin, En) => "Administrator",
            (Role::Admin, Zh) => "系统管理员",
            (Role::ProductManager, En) => "Product manager",
            (Role::ProductManager, Zh) => "商品经理",
            (Role::ProductSpecialist, En) => "Product specialist",
            (Role::ProductSpecialist, Zh) => "商品专员",
            (Role::OrderClerk, En) => "Order clerk",
            (Role::OrderClerk, Zh) => "订单专员",
            (Role::WarehouseStaff, En) => "Warehouse staff",
            (Role::WarehouseStaff, Zh) => "仓库人员",
            (Role::LogisticsCoordinator, En) => "Logistics coordinator",
            (Role::LogisticsCoordinator, Zh) => "物流协调员",
            (Role::ServiceAgent, En) => "Customer-service agent",
            (Role::ServiceAgent, Zh) => "客服专员",
            (Role::SeniorServiceAgent, En) => "Senior customer-service agent",
            (Role::SeniorServiceAgent, Zh) => "高级客服",
            (Role::Marketing, En) => "Marketing",
            (Role::Marketing, Zh) => "市场营销",
            (Role::Finance, En) => "Finance",
            (Role::Finance, Zh) => "财务",
            (Role::OperationsManager, En) => "Operations manager",
            (Role::OperationsManager, Zh) => "运营经理",
            (Role::Customer, En) => "Customer",
            (Role::Customer, Zh) => "客户",
            (Role::AnyStaff, En) => "Any staff member",
            (Role::AnyStaff, Zh) => "任一员工",
        }
    }

    /// What a freshly seeded role may do. Deny by default: anything not listed is refused.
    pub fn default_permissions(self) -> Vec<Permission> {
        use Permission::*;
        let staff = [SuggestionView, SuggestionSubmit];
        let receiving = [ReceiptRegister, ReceiptInspect, ReceiptPost, StockTransfer, StockCount];
        let with_staff = |own: &[Permission]| own.iter().chain(staff.iter()).copied().collect();
        match self {
            // Shopping is for customers: an admin's orders would be nobody's.
            Role::Admin => Permission::ALL.iter().copied().filter(|p| !matches!(p, PortalPage | OrderPlace)).collect(),
            Role::ProductManager => with_staff(&[
                ProductPage,
                ProductView,
                ProductEdit,
                ProductApprove,
                ProductDelist,
                CategoryManage,
                PriceChange,
                PriceApprove,
                PromoSchedule,
                StockView,
                StockAlertHandle,
                TicketTaskAnswer,
            ]),
            Role::ProductSpecialist => with_staff(&[ProductPage, ProductView, ProductEdit, PriceChange, StockView]),
            Role::OrderClerk => with_staff(&[OrdersPage, StockView, StockReserve, OrderView, OrderReview]),
            Role::WarehouseStaff => {
                let own = [WarehousePage, StockView, StockReserve, StockAlertHandle, OrderView, OrderFulfil, OrderShip, ReturnReceive, TicketTaskAnswer];
                with_staff(&[&own[..], &receiving[..]].concat())
            }
            Role::LogisticsCoordinator => with_staff(&[LogisticsPage, StockView, OrderView, OrderShip, ExceptionHandle, CarrierManage, TicketTaskAnswer]),
            Role::ServiceAgent => with_staff(&[ServicePage, StockView, OrderView, ReturnReview, TicketOpen, TicketView, TicketHandle]),
            Role::SeniorServiceAgent => {
                with_staff(&[ServicePage, StockView, OrderView, ReturnReview, TicketOpen, TicketView, TicketHandle, TicketSupervise])
            }
            Role::Marketing => with_staff(&[MarketingPage, ProductView, PromoSchedule]),
            Role::Finance => with_staff(&[FinancePage, OrderView, TicketTaskAnswer]),
            Role::OperationsManager => with_staff(&[
                ProductPage,
                OrdersPage,
                WarehousePage,
                LogisticsPage,
                ServicePage,
                MarketingPage,
                FinancePage,
                OperationsPage,
                AuditLogView,
                ProductView,
                StockView,
                WarehouseManage,
                StockAlertHandle,
                StockCount,
                StockAdjustApprove,
                OrderView,
                TicketView,
                TicketSupervise,
                SuggestionReview,
                SuggestionAssign,
                SuggestionImplement,
            ]),
            Role::Customer => vec![PortalPage, OrderPlace, TicketOpen],
            Role::AnyStaff => staff.to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn permission_keys_are_unique_and_round_trip() {
        let keys: HashSet<_> = Permission::ALL.iter().map(|p| p.key()).collect();
        assert_eq!(keys.len(), Permission::ALL.len());
        for p in Permission::ALL {
            assert_eq!(Permission::from_key(p.key()), Some(*p));
        }
        assert_eq!(Permission::from_key("nope"), None);
    }

    #[test]
    fn every_department_is_entered_by_some_role_and_customers_see_none() {
        for d in Department::ALL {
            for r in d.roles() {
                assert!(r.default_permissions().contains(&d.page_permission()), "{r:?} in {d:?}");
            }
            assert!(!Role::Customer.default_permissions().contains(&d.page_permission()));
        }
    }

    #[test]
    fn only_reviewers_review() {
        let reviewers: Vec<_> = Role::BUILT_IN
            .iter()
            .filter(|r| r.default_permissions().contains(&Permission::SuggestionReview))
            .collect();
        assert_eq!(reviewers, vec![&Role::Admin, &Role::OperationsManager]);
    }
}
