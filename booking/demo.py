"""Demo data for `flask seed-demo`: Jiaozuo's universities, their shared facilities, enterprises and accounts.

Seeding is idempotent and one transaction. Rows are matched by natural keys (organization code, user email,
facility (university, English name), closure (university, facility, reason), quota (university, category,
kind, facility, scope, period)); what exists is left as it is, so a manager's later edits survive a re-seed.
Demo bookings are placed only while the demo accounts have none, and only where the booking engine accepts
them (opening hours, closures, booking window, slot grid, capacity, quotas), drawn from a fixed random seed.
"""

import os
import random
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import generate_password_hash

from booking import engine
from booking.credit_code import check_character
from booking.mailbox import checked_email
from booking.services import specs
from booking.services.transactions import write_transaction
from models import (
    ACTIVE_STATUSES,
    QUOTA_STATUSES,
    Booking,
    BookingStatus,
    CampusSignOn,
    Category,
    Closure,
    Frequency,
    Mode,
    OpeningHours,
    Organization,
    OrganizationKind,
    Policy,
    Quota,
    QuotaPeriod,
    QuotaScope,
    RefusalCount,
    Resource,
    ResourceKind,
    ResourceTag,
    Series,
    User,
    Verification,
    WaitlistEntry,
    WaitlistStatus,
    db,
)

TIMEZONE = "Asia/Shanghai"
MIDNIGHT = time(0, 0)
# Bookings are spread over this many days from `now`, so the grids look lived in.
HORIZON_DAYS = 14
# Days of past bookings behind the reports: about a term so far, at this many times the crowds' rate.
HISTORY_DAYS = 98
HISTORY_DENSITY = 6
SEED = 2026

ALL = (Category.RESIDENT, Category.STUDENT, Category.ENTERPRISE)
STUDENTS = (Category.STUDENT,)
ENTERPRISES = (Category.ENTERPRISE,)
STUDENTS_AND_ENTERPRISES = (Category.STUDENT, Category.ENTERPRISE)


# ------------------------------------------------------------------------------------------------------------
# What the seed contains
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UniversitySpec:
    code: str
    name_zh: str
    name_en: str
    campus: str
    address: str
    latitude: float
    longitude: float
    campus_en: str = ""
    address_en: str = ""


UNIVERSITIES = (
    UniversitySpec(
        "HPU",
        "河南理工大学",
        "Henan Polytechnic University",
        "主校区",
        "河南省焦作市高新区世纪大道2001号",
        35.1930,
        113.2705,
        "Main campus",
        "2001 Century Avenue, High-tech Zone, Jiaozuo, Henan",
    ),
    UniversitySpec(
        "JZU",
        "焦作大学",
        "Jiaozuo University",
        "丰收路校区",
        "河南省焦作市山阳区丰收路",
        35.2335,
        113.2585,
        "Fengshou Road campus",
        "Fengshou Road, Shanyang District, Jiaozuo, Henan",
    ),
    UniversitySpec(
        "HJU",
        "黄河交通学院",
        "Huanghe Jiaotong University",
        "武陟校区",
        "河南省焦作市武陟县",
        35.0985,
        113.4020,
        "Wuzhi campus",
        "Wuzhi County, Jiaozuo, Henan",
    ),
    UniversitySpec(
        "JZNC",
        "焦作师范高等专科学校",
        "Jiaozuo Normal College",
        "解放区校区",
        "河南省焦作市解放区",
        35.2410,
        113.2165,
        "Jiefang campus",
        "Jiefang District, Jiaozuo, Henan",
    ),
)


@dataclass(frozen=True)
class EnterpriseSpec:
    key: str
    # The first 17 characters of the unified social credit code: 9 (registered by market regulation),
    # 1 (enterprise), the Jiaozuo division code (4108xx), then the organization code; the 18th is computed.
    code17: str
    name_zh: str
    name_en: str
    industry: str
    verified: bool

    @property
    def code(self) -> str:
        return self.code17 + check_character(self.code17)


ENTERPRISES_SPECS = (
    EnterpriseSpec(
        "equipment",
        "91410800MA44K7R2X",
        "焦作中原智能装备有限公司",
        "Jiaozuo Zhongyuan Intelligent Equipment Co., Ltd.",
        "智能装备 Intelligent equipment",
        True,
    ),
    EnterpriseSpec(
        "energy",
        "91410811MA45D3N81",
        "焦作云台新能源科技有限公司",
        "Jiaozuo Yuntai New Energy Technology Co., Ltd.",
        "新能源 New energy",
        True,
    ),
    EnterpriseSpec(
        "auto-parts",
        "91410823MA47R5W2C",
        "武陟怀川汽车零部件有限公司",
        "Wuzhi Huaichuan Auto Parts Co., Ltd.",
        "汽车零部件 Automotive parts",
        True,
    ),
    EnterpriseSpec(
        "materials",
        "91410804MA46B9T0Q",
        "焦作太行新材料股份有限公司",
        "Jiaozuo Taihang New Materials Co., Ltd.",
        "新材料 New materials",
        False,
    ),
    EnterpriseSpec(
        "it",
        "91410802MA48H6P9L",
        "焦作智联信息技术有限公司",
        "Jiaozuo Zhilian Information Technology Co., Ltd.",
        "信息技术 Information technology",
        False,
    ),
)


@dataclass(frozen=True)
class AccountSpec:
    email: str
    display_name: str
    category: Category
    organization: str | None = None  # a university code or an enterprise key
    verification: Verification = Verification.NONE
    student_number: str | None = None
    manages: str | None = None
    is_admin: bool = False
    # Demo logins have a memorable password and are printed; the people who fill the grids cannot log in.
    password: str | None = None
    role: str = ""


DEMO_ACCOUNTS = (
    AccountSpec(
        "resident@demo.jz", "张伟", Category.RESIDENT, password="demo-resident-2026", role="resident"
    ),
    AccountSpec(
        "student@demo.jz",
        "李娜",
        Category.STUDENT,
        "HPU",
        Verification.VERIFIED,
        "312301010127",
        password="demo-student-2026",
        role="student (HPU)",
    ),
    AccountSpec(
        "newstudent@demo.jz",
        "王磊",
        Category.STUDENT,
        "JZU",
        Verification.PENDING,
        "2026031542",
        password="demo-newstudent-2026",
        role="student (pending)",
    ),
    AccountSpec(
        "enterprise@demo.jz",
        "刘洋",
        Category.ENTERPRISE,
        "equipment",
        Verification.VERIFIED,
        password="demo-enterprise-2026",
        role="enterprise",
    ),
    AccountSpec(
        "newenterprise@demo.jz",
        "赵磊",
        Category.ENTERPRISE,
        "it",
        Verification.PENDING,
        password="demo-newenterprise-2026",
        role="enterprise (pending)",
    ),
    AccountSpec(
        "manager.hpu@demo.jz",
        "陈静",
        Category.RESIDENT,
        manages="HPU",
        password="demo-manager-2026",
        role="manager (HPU)",
    ),
    AccountSpec(
        "manager.jzu@demo.jz",
        "杨帆",
        Category.RESIDENT,
        manages="JZU",
        password="demo-manager-2026",
        role="manager (JZU)",
    ),
    AccountSpec(
        "manager.hju@demo.jz",
        "徐明",
        Category.RESIDENT,
        manages="HJU",
        password="demo-manager-2026",
        role="manager (HJU)",
    ),
    AccountSpec(
        "manager.jznc@demo.jz",
        "林慧",
        Category.RESIDENT,
        manages="JZNC",
        password="demo-manager-2026",
        role="manager (JZNC)",
    ),
    AccountSpec(
        "admin@demo.jz", "赵敏", Category.RESIDENT, is_admin=True, password="demo-admin-2026", role="admin"
    ),
)

COMMUNITY_ACCOUNTS = (
    AccountSpec("wang.fang@demo.jz", "王芳", Category.RESIDENT),
    AccountSpec("liu.qiang@demo.jz", "刘强", Category.RESIDENT),
    AccountSpec("sun.yue@demo.jz", "孙悦", Category.RESIDENT),
    AccountSpec("zhou.hao@demo.jz", "周浩", Category.RESIDENT),
    AccountSpec("wu.ting@demo.jz", "吴婷", Category.RESIDENT),
    AccountSpec("zheng.kai@demo.jz", "郑凯", Category.STUDENT, "HPU", Verification.VERIFIED, "312202030215"),
    AccountSpec("huang.lei@demo.jz", "黄蕾", Category.STUDENT, "HPU", Verification.VERIFIED, "312104050118"),
    AccountSpec("ma.chao@demo.jz", "马超", Category.STUDENT, "JZU", Verification.VERIFIED, "2024030517"),
    AccountSpec("zhu.lin@demo.jz", "朱琳", Category.STUDENT, "HJU", Verification.VERIFIED, "2023110208"),
    AccountSpec("hu.bin@demo.jz", "胡斌", Category.STUDENT, "JZNC", Verification.VERIFIED, "2025070133"),
    AccountSpec("gao.xiang@demo.jz", "高翔", Category.ENTERPRISE, "equipment", Verification.VERIFIED),
    AccountSpec("guo.peng@demo.jz", "郭鹏", Category.ENTERPRISE, "energy", Verification.VERIFIED),
    AccountSpec("he.jing@demo.jz", "何静", Category.ENTERPRISE, "auto-parts", Verification.VERIFIED),
)


def _t(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


Hours = tuple[tuple[int, time, time], ...]
WEEKDAYS = (0, 1, 2, 3, 4)
WEEKEND = (5, 6)
EVERY_DAY = (0, 1, 2, 3, 4, 5, 6)
TUESDAY_TO_SUNDAY = (1, 2, 3, 4, 5, 6)


def _hours(*rows: tuple[Sequence[int], str, str]) -> Hours:
    """Opening intervals in local time; "00:00" as closing time means midnight at the end of the day."""
    return tuple(sorted((day, _t(opens), _t(closes)) for days, opens, closes in rows for day in days))


COURT_HOURS = _hours((WEEKDAYS, "08:00", "12:00"), (WEEKDAYS, "14:00", "22:00"), (WEEKEND, "08:00", "22:00"))
GYM_HOURS = _hours((WEEKDAYS, "06:00", "22:00"), (WEEKEND, "08:00", "21:00"))
POOL_HOURS = _hours((TUESDAY_TO_SUNDAY, "12:00", "21:00"))  # Mondays: water treatment
OUTDOOR_HOURS = _hours((EVERY_DAY, "06:00", "22:00"))
LIBRARY_HOURS = _hours((EVERY_DAY, "08:00", "22:00"))
MUSEUM_HOURS = _hours((TUESDAY_TO_SUNDAY, "09:00", "12:00"), (TUESDAY_TO_SUNDAY, "14:00", "17:00"))
EXHIBITION_HOURS = _hours((TUESDAY_TO_SUNDAY, "09:00", "17:00"))
LAB_HOURS = _hours((WEEKDAYS, "08:30", "17:30"))
OFFICE_HOURS = _hours((WEEKDAYS, "08:00", "18:00"))
THEATRE_HOURS = _hours((WEEKDAYS, "14:00", "22:00"), (WEEKEND, "09:00", "22:00"))
TAIJI_HOURS = _hours((EVERY_DAY, "06:00", "09:00"), (EVERY_DAY, "15:00", "21:00"))
STUDIO_HOURS = _hours((WEEKDAYS, "18:00", "22:00"), (WEEKEND, "09:00", "21:00"))
ALL_DAY = _hours((EVERY_DAY, "00:00", "00:00"))


def _policy(
    allowed: Sequence[Category] = ALL, approval: Sequence[Category] = (), **fields: Any
) -> dict[str, Any]:
    return {
        "allowed_categories": [c.value for c in allowed],
        "approval_categories": [c.value for c in approval],
        **fields,
    }


def _court_policy(max_party: int) -> dict[str, Any]:
    return _policy(
        min_minutes=60,
        max_minutes=120,
        min_notice_minutes=60,
        max_advance_days=7,
        max_party_size=max_party,
        cancel_deadline_minutes=120,
        checkin_required=True,
    )


SHARED_SPORT_POLICY = _policy(
    min_minutes=60,
    max_minutes=120,
    min_notice_minutes=30,
    max_advance_days=7,
    max_party_size=4,
    cancel_deadline_minutes=60,
)
READING_POLICY = _policy(
    min_minutes=60,
    max_minutes=240,
    min_notice_minutes=30,
    max_advance_days=7,
    max_party_size=4,
    cancel_deadline_minutes=60,
)
MUSEUM_POLICY = _policy(
    min_minutes=60,
    max_minutes=60,
    min_notice_minutes=60,
    max_advance_days=14,
    max_party_size=20,
    cancel_deadline_minutes=120,
)
ENTERPRISE_LAB_POLICY = _policy(
    ENTERPRISES,
    ENTERPRISES,
    min_minutes=60,
    max_minutes=480,
    min_notice_minutes=120,
    max_advance_days=30,
    buffer_minutes=30,
    max_party_size=6,
    cancel_deadline_minutes=1440,
)
MEETING_POLICY = _policy(
    STUDENTS_AND_ENTERPRISES,
    min_minutes=30,
    max_minutes=240,
    min_notice_minutes=60,
    max_advance_days=14,
    cancel_deadline_minutes=120,
)
THEATRE_POLICY = _policy(
    ALL,
    ALL,
    min_minutes=60,
    max_minutes=240,
    min_notice_minutes=120,
    max_advance_days=30,
    buffer_minutes=60,
    cancel_deadline_minutes=2880,
)
PLACEMENT_POLICY = _policy(
    STUDENTS,
    STUDENTS,
    min_minutes=7 * 1440,
    max_minutes=120 * 1440,
    min_notice_minutes=1440,
    max_advance_days=60,
    max_party_size=1,
    cancel_deadline_minutes=1440,
)


@dataclass(frozen=True)
class FacilitySpec:
    key: str
    university: str
    kind: ResourceKind
    mode: Mode
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    capacity: int
    slot_minutes: int
    hours: Hours
    policy: dict[str, Any]
    tags: tuple[str, ...]
    building: str  # appended to the campus address
    offset: tuple[float, float] = (0.0, 0.0)  # degrees from the campus centre


def _badminton(number: int) -> FacilitySpec:
    return FacilitySpec(
        key=f"hpu-badminton-{number}",
        university="HPU",
        kind=ResourceKind.SPORTS_VENUE,
        mode=Mode.EXCLUSIVE,
        name_zh=f"羽毛球馆 {number}号场",
        name_en=f"Badminton Court {number}",
        description_zh=(
            f"体育馆羽毛球馆的标准{number}号场：运动木地板、防眩光照明，馆内设更衣室和淋浴。"
            "请在开场前后15分钟内扫码签到，未签到视为爽约。"
        ),
        description_en=(
            f"Standard court {number} in the sports hall's badminton arena: sprung wooden floor, anti-glare "
            "lighting, changing rooms and showers. Check in within 15 minutes of the start or the court is "
            "released."
        ),
        capacity=4,
        slot_minutes=60,
        hours=COURT_HOURS,
        policy=_court_policy(4),
        tags=("indoor", "wooden-floor", "showers", "changing-rooms", "air-conditioning"),
        building=" 体育馆羽毛球馆",
        offset=(-0.0021, 0.0012 + 0.0001 * number),
    )


def _reading_room(university: str, key: str, name_zh: str, name_en: str, building: str) -> FacilitySpec:
    return FacilitySpec(
        key=key,
        university=university,
        kind=ResourceKind.LIBRARY,
        mode=Mode.SHARED,
        name_zh=name_zh,
        name_en=name_en,
        description_zh=(
            "安静的开架阅览室，120个座位，每座配台灯和电源插座，全馆覆盖无线网络。可预约1至4小时，"
            "小组最多4人同行；离座超过30分钟请释放座位。"
        ),
        description_en=(
            "A quiet open-stack reading room with 120 seats, each with a reading lamp and a power socket, "
            "and wifi throughout. Book 1 to 4 hours, up to 4 people together; please release your seat if "
            "you leave for more than 30 minutes."
        ),
        capacity=120,
        slot_minutes=60,
        hours=LIBRARY_HOURS,
        policy=READING_POLICY,
        tags=("wifi", "power-outlets", "air-conditioning", "quiet", "accessible"),
        building=building,
        offset=(0.0008, -0.0015),
    )


def _running_track(university: str, key: str, name_zh: str, name_en: str, building: str) -> FacilitySpec:
    return FacilitySpec(
        key=key,
        university=university,
        kind=ResourceKind.GREEN_SPACE,
        mode=Mode.SHARED,
        name_zh=name_zh,
        name_en=name_en,
        description_zh=(
            "400米标准塑胶跑道，内场为天然草坪，四周有林荫步道。早晚向市民开放，夜间有灯光照明；"
            "每个时段最多200人，请勿携带宠物入场。"
        ),
        description_en=(
            "A standard 400 m synthetic track around a natural-grass field, ringed by a shaded footpath. "
            "Open to residents mornings and evenings, floodlit after dark; up to 200 people per time slot, "
            "no pets please."
        ),
        capacity=200,
        slot_minutes=60,
        hours=OUTDOOR_HOURS,
        policy=_policy(
            min_minutes=60, max_minutes=120, min_notice_minutes=30, max_advance_days=7, max_party_size=10
        ),
        tags=("outdoor", "running-track", "lawn", "floodlights"),
        building=building,
        offset=(-0.0030, -0.0010),
    )


def _placement_base(
    key: str,
    university: str,
    name_zh: str,
    name_en: str,
    desc_zh: str,
    desc_en: str,
    seats: int,
    building: str,
) -> FacilitySpec:
    return FacilitySpec(
        key=key,
        university=university,
        kind=ResourceKind.TRAINING_BASE,
        mode=Mode.PLACEMENT,
        name_zh=name_zh,
        name_en=name_en,
        description_zh=desc_zh,
        description_en=desc_en,
        capacity=seats,
        slot_minutes=1440,
        hours=ALL_DAY,
        policy=PLACEMENT_POLICY,
        tags=("internship", "mentor", "safety-training"),
        building=building,
        offset=(0.0035, 0.0040),
    )


FACILITIES: tuple[FacilitySpec, ...] = (
    # Henan Polytechnic University
    *(_badminton(n) for n in range(1, 5)),
    FacilitySpec(
        key="hpu-tennis",
        university="HPU",
        kind=ResourceKind.SPORTS_VENUE,
        mode=Mode.EXCLUSIVE,
        name_zh="室外网球场",
        name_en="Outdoor Tennis Court",
        description_zh=("硬地网球场，配夜间灯光，场边有休息座椅，体育馆停车场步行两分钟。"),
        description_en=(
            "A hard-court tennis court with floodlights for evening play and courtside benches, two "
            "minutes' walk from the sports hall car park."
        ),
        capacity=4,
        slot_minutes=60,
        hours=COURT_HOURS,
        policy=_court_policy(4),
        tags=("outdoor", "hard-court", "floodlights", "parking"),
        building=" 体育馆东侧网球场",
        offset=(-0.0025, 0.0030),
    ),
    FacilitySpec(
        key="hpu-gym",
        university="HPU",
        kind=ResourceKind.SPORTS_VENUE,
        mode=Mode.SHARED,
        name_zh="体育馆健身房",
        name_en="Sports Hall Fitness Gym",
        description_zh=("力量区、有氧区和拉伸区齐全，共40个名额；首次使用请阅读器械安全须知，穿运动鞋入场。"),
        description_en=(
            "Strength, cardio and stretching areas for up to 40 people at a time. Please read the equipment "
            "safety notes on your first visit and wear sports shoes."
        ),
        capacity=40,
        slot_minutes=60,
        hours=GYM_HOURS,
        policy=_policy(
            min_minutes=60, max_minutes=120, min_notice_minutes=30, max_advance_days=7, max_party_size=2
        ),
        tags=("indoor", "air-conditioning", "showers", "lockers", "accessible"),
        building=" 体育馆一层",
        offset=(-0.0019, 0.0008),
    ),
    FacilitySpec(
        key="hpu-pool",
        university="HPU",
        kind=ResourceKind.SPORTS_VENUE,
        mode=Mode.SHARED,
        name_zh="游泳馆",
        name_en="Indoor Swimming Pool",
        description_zh="50米标准恒温泳池，设深水区和浅水区，全程有救生员值守。周一换水消毒闭馆；深水区需持深水合格证。",
        description_en=(
            "A heated 50 m pool with shallow and deep sections and lifeguards on duty. Closed on Mondays "
            "for water treatment; the deep end needs a deep-water certificate."
        ),
        capacity=80,
        slot_minutes=60,
        hours=POOL_HOURS,
        policy=SHARED_SPORT_POLICY,
        tags=("indoor", "heated", "showers", "lockers", "lifeguard"),
        building=" 游泳馆",
        offset=(-0.0016, 0.0022),
    ),
    _reading_room("HPU", "hpu-reading", "图书馆第一阅览室", "Library Reading Room 1", " 图书馆三层"),
    FacilitySpec(
        key="hpu-museum",
        university="HPU",
        kind=ResourceKind.MUSEUM,
        mode=Mode.SHARED,
        name_zh="地质博物馆",
        name_en="Geology Museum",
        description_zh=(
            "收藏矿物、岩石与古生物化石标本万余件，讲述太行山南麓的地质演化和焦作煤田百余年的开采史。"
            "每场限60人；团体可在备注中申请讲解。周一闭馆。"
        ),
        description_en=(
            "More than ten thousand minerals, rocks and fossils tell the geology of the southern Taihang "
            "Mountains and more than a century of coal mining in Jiaozuo. 60 visitors per time slot; groups "
            "may ask for a guided tour in the booking note. Closed on Mondays."
        ),
        capacity=60,
        slot_minutes=60,
        hours=MUSEUM_HOURS,
        policy=MUSEUM_POLICY,
        tags=("guided-tours", "accessible", "parking"),
        building=" 地质博物馆",
        offset=(0.0012, 0.0005),
    ),
    FacilitySpec(
        key="hpu-equipment-lab",
        university="HPU",
        kind=ResourceKind.LAB,
        mode=Mode.EXCLUSIVE,
        name_zh="智能装备实验室",
        name_en="Intelligent Equipment Lab",
        description_zh=(
            "配备六轴工业机器人、PLC控制实训台和机器视觉检测平台，面向企业开展样机调试、"
            "工艺验证和产线改造测试。企业预约需实验室审核，首次使用须完成安全培训；"
            "每次使用后预留30分钟整理设备。"
        ),
        description_en=(
            "Six-axis industrial robots, PLC training rigs and a machine-vision inspection platform for "
            "enterprises to debug prototypes, validate processes and test production-line upgrades. "
            "Enterprise bookings are approved by the lab; first-time users complete a safety briefing. 30 "
            "minutes are kept free after each booking to reset the equipment."
        ),
        capacity=6,
        slot_minutes=30,
        hours=LAB_HOURS,
        policy=ENTERPRISE_LAB_POLICY,
        tags=("industrial-robots", "plc", "machine-vision", "safety-training", "wifi"),
        building=" 机械学院实训楼",
        offset=(0.0021, -0.0008),
    ),
    FacilitySpec(
        key="hpu-materials-lab",
        university="HPU",
        kind=ResourceKind.LAB,
        mode=Mode.EXCLUSIVE,
        name_zh="材料性能测试实验室",
        name_en="Materials Testing Lab",
        description_zh=(
            "万能材料试验机、显微硬度计和扫描电镜，可开展金属及复合材料的力学性能与微观组织检测，"
            "检测数据可由实验室出具报告。"
        ),
        description_en=(
            "A universal testing machine, a micro-hardness tester and a scanning electron microscope for "
            "the mechanical properties and microstructure of metals and composites; the lab can issue test "
            "reports."
        ),
        capacity=6,
        slot_minutes=30,
        hours=LAB_HOURS,
        policy=ENTERPRISE_LAB_POLICY,
        tags=("tensile-tester", "sem", "hardness-tester", "safety-training"),
        building=" 材料学院实验楼",
        offset=(0.0024, -0.0003),
    ),
    FacilitySpec(
        key="hpu-battery-lab",
        university="HPU",
        kind=ResourceKind.LAB,
        mode=Mode.EXCLUSIVE,
        name_zh="新能源电池实验室",
        name_en="New-Energy Battery Lab",
        description_zh=(
            "锂电池充放电测试系统、高低温环境箱和通风橱，支持电芯循环寿命与安全性能测试。"
            "学生和企业均可申请，每次预约需实验室老师审核。"
        ),
        description_en=(
            "Battery cyclers, a climate chamber and fume hoods for cycle-life and safety tests of lithium "
            "cells. Open to students and enterprises; every booking is approved by the lab staff."
        ),
        capacity=6,
        slot_minutes=30,
        hours=LAB_HOURS,
        policy={
            **ENTERPRISE_LAB_POLICY,
            **_policy(STUDENTS_AND_ENTERPRISES, STUDENTS_AND_ENTERPRISES),
        },
        tags=("battery-cyclers", "climate-chamber", "fume-hood", "safety-training"),
        building=" 能源学院实验楼",
        offset=(0.0027, 0.0004),
    ),
    FacilitySpec(
        key="hpu-maker-lab",
        university="HPU",
        kind=ResourceKind.LAB,
        mode=Mode.EXCLUSIVE,
        name_zh="大学生创新实验室",
        name_en="Student Innovation Lab",
        description_zh="面向在校学生的创客空间：3D打印机、激光切割机、焊接工位和开源硬件套件，适合竞赛作品与课程设计。",
        description_en=(
            "A makerspace for students: 3D printers, a laser cutter, soldering benches and open-hardware "
            "kits for competition entries and course projects."
        ),
        capacity=5,
        slot_minutes=30,
        hours=LAB_HOURS,
        policy=_policy(
            STUDENTS,
            min_minutes=60,
            max_minutes=180,
            min_notice_minutes=60,
            max_advance_days=14,
            buffer_minutes=30,
            max_party_size=5,
        ),
        tags=("3d-printer", "laser-cutter", "soldering", "wifi"),
        building=" 创新创业中心二层",
        offset=(0.0015, -0.0020),
    ),
    FacilitySpec(
        key="hpu-lecture-theatre",
        university="HPU",
        kind=ResourceKind.THEATRE,
        mode=Mode.EXCLUSIVE,
        name_zh="学术报告厅",
        name_en="Lecture Theatre",
        description_zh=(
            "320座阶梯报告厅，配高清投影、扩声系统和同声传译间，适合学术报告、企业宣讲和文艺演出。"
            "所有预约需审核，使用前后各预留布场时间。"
        ),
        description_en=(
            "A 320-seat raked lecture theatre with HD projection, a sound system and an interpreting booth, "
            "for lectures, company presentations and performances. Every booking is approved; an hour is "
            "kept free afterwards to reset the hall."
        ),
        capacity=320,
        slot_minutes=60,
        hours=THEATRE_HOURS,
        policy={**THEATRE_POLICY, "max_party_size": 320},
        tags=("projector", "sound-system", "stage", "air-conditioning", "accessible"),
        building=" 图书馆报告厅",
        offset=(0.0006, -0.0012),
    ),
    FacilitySpec(
        key="hpu-meeting",
        university="HPU",
        kind=ResourceKind.MEETING_ROOM,
        mode=Mode.EXCLUSIVE,
        name_zh="国际交流中心会议室",
        name_en="International Exchange Centre Meeting Room",
        description_zh=("20人圆桌会议室，配投影、视频会议终端和白板，适合校企洽谈和项目评审。"),
        description_en=(
            "A 20-seat boardroom with a projector, video conferencing and whiteboards, suited to "
            "university–industry meetings and project reviews."
        ),
        capacity=20,
        slot_minutes=30,
        hours=OFFICE_HOURS,
        policy={**MEETING_POLICY, "max_party_size": 20},
        tags=("projector", "video-conferencing", "whiteboard", "wifi"),
        building=" 国际交流中心",
        offset=(0.0003, 0.0018),
    ),
    _placement_base(
        "hpu-materials-base",
        "HPU",
        "新材料产教融合实训基地",
        "New Materials Training Base",
        (
            "与焦作本地新材料企业共建，学生在企业导师指导下参与氟化工和锂电材料的检测与中试工作。按周申请，"
            "最短一周，每期名额12人，须经基地审核。"
        ),
        (
            "Run with Jiaozuo's new-materials companies: students work on testing and pilot production of "
            "fluorine chemicals and battery materials under a company mentor. Apply by the week (one week "
            "minimum); 12 places per period, every application is reviewed."
        ),
        12,
        " 材料学院中试基地",
    ),
    _running_track("HPU", "hpu-track", "北田径场", "North Running Track", " 北田径场"),
    # Jiaozuo University
    FacilitySpec(
        key="jzu-basketball",
        university="JZU",
        kind=ResourceKind.SPORTS_VENUE,
        mode=Mode.EXCLUSIVE,
        name_zh="室外篮球场A",
        name_en="Outdoor Basketball Court A",
        description_zh=("标准室外篮球场，硅PU场地，夜间照明，适合全场比赛和球队训练。"),
        description_en=(
            "A full-size outdoor basketball court with a silicon-PU surface and floodlights, for full-court "
            "games and team practice."
        ),
        capacity=12,
        slot_minutes=60,
        hours=COURT_HOURS,
        policy=_court_policy(12),
        tags=("outdoor", "floodlights"),
        building=" 东区运动场",
        offset=(-0.0012, 0.0010),
    ),
    _reading_room("JZU", "jzu-reading", "图书馆自习阅览室", "Library Study Room", " 图书馆二层"),
    FacilitySpec(
        key="jzu-cnc",
        university="JZU",
        kind=ResourceKind.LAB,
        mode=Mode.EXCLUSIVE,
        name_zh="数控加工实训车间",
        name_en="CNC Machining Workshop",
        description_zh=(
            "数控车床、加工中心和三坐标测量机各若干台，承担学生实训，也为企业提供小批量试制和工艺验证。"
            "企业预约需审核；操作人员须持有上岗培训记录。"
        ),
        description_en=(
            "CNC lathes, machining centres and a coordinate-measuring machine used for student training and "
            "for enterprises' small-batch trial production and process validation. Enterprise bookings are "
            "approved; operators need a safety-training record."
        ),
        capacity=12,
        slot_minutes=30,
        hours=LAB_HOURS,
        policy=_policy(
            STUDENTS_AND_ENTERPRISES,
            ENTERPRISES,
            min_minutes=60,
            max_minutes=480,
            min_notice_minutes=120,
            max_advance_days=30,
            buffer_minutes=30,
            max_party_size=12,
            cancel_deadline_minutes=1440,
        ),
        tags=("cnc-lathes", "machining-centre", "cmm", "safety-training"),
        building=" 机电工程学院实训中心",
        offset=(0.0015, 0.0006),
    ),
    _placement_base(
        "jzu-it-base",
        "JZU",
        "信息技术实训基地",
        "IT Practical Training Base",
        ("与本地软件和信息服务企业共建，学生参与真实项目的开发、测试与运维，按周申请，每期名额20人。"),
        (
            "Run with local software and IT-service companies: students develop, test and operate real "
            "projects. Apply by the week; 20 places per period."
        ),
        20,
        " 信息工程学院实训楼",
    ),
    FacilitySpec(
        key="jzu-meeting",
        university="JZU",
        kind=ResourceKind.MEETING_ROOM,
        mode=Mode.EXCLUSIVE,
        name_zh="行政楼第三会议室",
        name_en="Administration Building Meeting Room 3",
        description_zh=("30人会议室，配投影和白板，可用于校企合作洽谈、项目答辩与小型培训。"),
        description_en=(
            "A 30-seat meeting room with a projector and whiteboards for partnership meetings, project "
            "defences and small training sessions."
        ),
        capacity=30,
        slot_minutes=30,
        hours=OFFICE_HOURS,
        policy={**MEETING_POLICY, "max_party_size": 30},
        tags=("projector", "whiteboard", "wifi"),
        building=" 行政楼三层",
        offset=(0.0004, -0.0006),
    ),
    FacilitySpec(
        key="jzu-museum",
        university="JZU",
        kind=ResourceKind.MUSEUM,
        mode=Mode.SHARED,
        name_zh="校史馆",
        name_en="University History Museum",
        description_zh=(
            "以老照片、实物和口述影像展示焦作大学的办学历程，以及学校与焦作城市共同成长的故事。每场限60人，"
            "周一闭馆。"
        ),
        description_en=(
            "Old photographs, objects and recorded memories tell the history of Jiaozuo University and of "
            "how the university and the city grew together. 60 visitors per time slot; closed on Mondays."
        ),
        capacity=60,
        slot_minutes=60,
        hours=MUSEUM_HOURS,
        policy=MUSEUM_POLICY,
        tags=("guided-tours", "accessible"),
        building=" 校史馆",
        offset=(0.0009, 0.0013),
    ),
    # Huanghe Jiaotong University
    FacilitySpec(
        key="hju-football",
        university="HJU",
        kind=ResourceKind.SPORTS_VENUE,
        mode=Mode.EXCLUSIVE,
        name_zh="五人制足球场",
        name_en="Five-a-side Football Pitch",
        description_zh=("人造草皮五人制足球场，夜间灯光照明，场边有停车位，适合社区球队的晚间比赛。"),
        description_en=(
            "An artificial-turf five-a-side pitch with floodlights and parking alongside, popular with "
            "community teams for evening games."
        ),
        capacity=12,
        slot_minutes=60,
        hours=COURT_HOURS,
        policy=_court_policy(12),
        tags=("outdoor", "artificial-turf", "floodlights", "parking"),
        building=" 南区运动场",
        offset=(-0.0014, -0.0009),
    ),
    FacilitySpec(
        key="hju-vehicle-lab",
        university="HJU",
        kind=ResourceKind.LAB,
        mode=Mode.EXCLUSIVE,
        name_zh="汽车检测与诊断实验室",
        name_en="Vehicle Testing and Diagnostics Lab",
        description_zh=(
            "底盘测功机、尾气分析仪、四柱举升机和整车诊断设备，可为零部件企业开展台架与整车匹配测试。"
            "企业预约需审核。"
        ),
        description_en=(
            "A chassis dynamometer, emissions analysers, four-post lifts and whole-vehicle diagnostics, for "
            "parts makers' bench and in-vehicle validation tests. Enterprise bookings are approved."
        ),
        capacity=6,
        slot_minutes=30,
        hours=LAB_HOURS,
        policy=ENTERPRISE_LAB_POLICY,
        tags=("chassis-dynamometer", "emissions-analyzer", "vehicle-lift", "safety-training"),
        building=" 汽车工程学院实验楼",
        offset=(0.0018, 0.0011),
    ),
    _placement_base(
        "hju-auto-base",
        "HJU",
        "汽车零部件实训基地",
        "Automotive Parts Training Base",
        "与武陟、焦作的汽车零部件企业共建，学生在生产一线参与装配、质检与工艺改进，按周申请，每期名额16人。",
        (
            "Run with automotive-parts makers in Wuzhi and Jiaozuo: students join assembly, quality "
            "inspection and process improvement on the shop floor. Apply by the week; 16 places per period."
        ),
        16,
        " 产教融合实训中心",
    ),
    _reading_room("HJU", "hju-reading", "图书馆阅览室", "Library Reading Room", " 图书馆一层"),
    FacilitySpec(
        key="hju-meeting",
        university="HJU",
        kind=ResourceKind.MEETING_ROOM,
        mode=Mode.EXCLUSIVE,
        name_zh="产教融合中心会议室",
        name_en="Industry–Education Centre Meeting Room",
        description_zh=("16人会议室，配触控大屏和视频会议系统，紧邻实训基地，便于企业导师与学生对接。"),
        description_en=(
            "A 16-seat meeting room with a touch screen and video conferencing next to the training base, "
            "where company mentors meet their students."
        ),
        capacity=16,
        slot_minutes=30,
        hours=OFFICE_HOURS,
        policy={**MEETING_POLICY, "max_party_size": 16},
        tags=("touch-screen", "video-conferencing", "wifi"),
        building=" 产教融合中心",
        offset=(0.0030, 0.0036),
    ),
    FacilitySpec(
        key="hju-garden",
        university="HJU",
        kind=ResourceKind.GREEN_SPACE,
        mode=Mode.SHARED,
        name_zh="黄河生态园",
        name_en="Yellow River Eco Garden",
        description_zh=("校园里的生态园：草坪、林荫步道和小型露天广场，适合晨练、亲子活动和户外读书会。"),
        description_en=(
            "The campus eco garden: lawns, shaded paths and a small open-air square for morning exercise, "
            "family outings and outdoor reading groups."
        ),
        capacity=150,
        slot_minutes=60,
        hours=OUTDOOR_HOURS,
        policy=_policy(
            min_minutes=60, max_minutes=120, min_notice_minutes=30, max_advance_days=7, max_party_size=10
        ),
        tags=("outdoor", "lawn", "accessible", "parking"),
        building=" 生态园",
        offset=(-0.0008, 0.0025),
    ),
    # Jiaozuo Normal College
    FacilitySpec(
        key="jznc-gallery",
        university="JZNC",
        kind=ResourceKind.EXHIBITION_HALL,
        mode=Mode.SHARED,
        name_zh="美术作品展厅",
        name_en="Fine Arts Exhibition Hall",
        description_zh=(
            "常年展出师生书画、摄影作品和太行山水写生，定期举办城市主题展。每场最多80人，团体请注明人数。"
            "周一闭展。"
        ),
        description_en=(
            "Paintings, calligraphy and photographs by students and teachers, sketches of the Taihang "
            "landscape and regular exhibitions about the city. Up to 80 visitors per time slot; closed on "
            "Mondays."
        ),
        capacity=80,
        slot_minutes=60,
        hours=EXHIBITION_HOURS,
        policy=_policy(
            min_minutes=60, max_minutes=120, min_notice_minutes=60, max_advance_days=14, max_party_size=30
        ),
        tags=("accessible", "guided-tours", "air-conditioning"),
        building=" 艺术楼一层",
        offset=(0.0010, 0.0008),
    ),
    FacilitySpec(
        key="jznc-concert-hall",
        university="JZNC",
        kind=ResourceKind.THEATRE,
        mode=Mode.EXCLUSIVE,
        name_zh="音乐厅",
        name_en="Concert Hall",
        description_zh="600座音乐厅，配三角钢琴、专业灯光和扩声系统，承办演出、合唱比赛和毕业汇演。所有预约需审核。",
        description_en=(
            "A 600-seat concert hall with a grand piano, stage lighting and a sound system, home to "
            "concerts, choir competitions and graduation shows. Every booking is approved."
        ),
        capacity=600,
        slot_minutes=60,
        hours=THEATRE_HOURS,
        policy={**THEATRE_POLICY, "max_party_size": 600},
        tags=("stage", "piano", "sound-system", "lighting-rig", "accessible"),
        building=" 音乐学院",
        offset=(0.0014, -0.0011),
    ),
    FacilitySpec(
        key="jznc-taiji",
        university="JZNC",
        kind=ResourceKind.CULTURAL_CENTER,
        mode=Mode.SHARED,
        name_zh="太极文化传习馆",
        name_en="Taiji Culture Centre",
        description_zh="焦作温县陈家沟是太极拳的发源地。传习馆设木地板练功厅，清晨和傍晚向市民开放，周末有老师带练。",
        description_en=(
            "Chenjiagou in Wen County, Jiaozuo, is the birthplace of Taijiquan. The centre's wooden-floored "
            "hall is open to residents early mornings and evenings, with teacher-led practice at weekends."
        ),
        capacity=50,
        slot_minutes=60,
        hours=TAIJI_HOURS,
        policy=_policy(
            min_minutes=60, max_minutes=120, min_notice_minutes=30, max_advance_days=7, max_party_size=10
        ),
        tags=("wooden-floor", "mirrors", "changing-rooms"),
        building=" 体育馆西侧",
        offset=(-0.0010, -0.0014),
    ),
    FacilitySpec(
        key="jznc-dance",
        university="JZNC",
        kind=ResourceKind.CULTURAL_CENTER,
        mode=Mode.EXCLUSIVE,
        name_zh="舞蹈排练厅",
        name_en="Dance Rehearsal Studio",
        description_zh=("带把杆和整面镜墙的排练厅，配音响，适合舞蹈队、合唱团和社区文艺团体排练。"),
        description_en=(
            "A rehearsal studio with barres, a full mirror wall and a sound system, for dance troupes, "
            "choirs and community arts groups."
        ),
        capacity=30,
        slot_minutes=60,
        hours=STUDIO_HOURS,
        policy=_policy(
            min_minutes=60, max_minutes=180, min_notice_minutes=60, max_advance_days=14, max_party_size=30
        ),
        tags=("mirrors", "wooden-floor", "sound-system", "air-conditioning"),
        building=" 艺术楼三层",
        offset=(0.0012, 0.0004),
    ),
    _reading_room("JZNC", "jznc-reading", "图书馆阅览室", "Library Reading Room", " 图书馆二层"),
    _running_track("JZNC", "jznc-track", "东田径场", "East Running Track", " 东田径场"),
)


@dataclass(frozen=True)
class QuotaSpec:
    university: str
    category: Category | None
    resource_kind: ResourceKind | None
    period: QuotaPeriod
    scope: QuotaScope = QuotaScope.USER
    max_bookings: int | None = None
    max_hours: float | None = None
    facility: str | None = None  # a facility key, for a quota on one facility


QUOTAS = (
    *(
        QuotaSpec(code, Category.RESIDENT, ResourceKind.SPORTS_VENUE, QuotaPeriod.WEEK, max_bookings=2)
        for code in ("HPU", "JZU", "HJU", "JZNC")
    ),
    QuotaSpec("HPU", None, ResourceKind.SPORTS_VENUE, QuotaPeriod.DAY, max_hours=4),
    QuotaSpec(
        "HPU", Category.ENTERPRISE, ResourceKind.LAB, QuotaPeriod.MONTH, QuotaScope.ORGANIZATION, max_hours=20
    ),
    QuotaSpec(
        "JZU", Category.ENTERPRISE, ResourceKind.LAB, QuotaPeriod.MONTH, QuotaScope.ORGANIZATION, max_hours=16
    ),
    QuotaSpec("HPU", Category.STUDENT, None, QuotaPeriod.WEEK, max_hours=6, facility="hpu-maker-lab"),
    *(
        QuotaSpec(code, Category.STUDENT, ResourceKind.TRAINING_BASE, QuotaPeriod.ACTIVE, max_bookings=1)
        for code in ("HPU", "JZU", "HJU")
    ),
)


# ------------------------------------------------------------------------------------------------------------
# The result the CLI prints
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str


TALLY_LABELS = (
    ("universities", "universities"),
    ("enterprises", "enterprises"),
    ("accounts", "accounts"),
    ("facilities", "facilities"),
    ("policies", "facility policies"),
    ("opening_hours", "opening-hour intervals"),
    ("tags", "facility tags"),
    ("closures", "closures"),
    ("quotas", "quotas"),
    ("series", "booking series"),
    ("bookings", "bookings"),
    ("history", "past bookings"),
    ("campus_sign_on", "campus sign-on servers"),
)


@dataclass
class DemoResult:
    created: Counter[str] = field(default_factory=Counter)
    present: Counter[str] = field(default_factory=Counter)
    logins: list[DemoLogin] = field(default_factory=list)

    @property
    def created_total(self) -> int:
        return sum(self.created.values())

    def summary(self) -> str:
        if self.created_total:
            present = sum(self.present.values())
            head = f"Demo data loaded: {self.created_total} rows created, {present} already present."
        else:
            head = "Demo data already present: nothing new created."
        lines = [head, f"  {'':<24}{'created':>8}{'present':>9}"]
        lines += [
            f"  {label:<24}{self.created[key]:>8}{self.present[key]:>9}"
            for key, label in TALLY_LABELS
            if self.created[key] or self.present[key]
        ]
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------------------------
# Seeding
# ------------------------------------------------------------------------------------------------------------


def database_is_empty() -> bool:
    """No organization yet: a fresh database that `seed-demo --if-empty` may fill."""
    return db.session.scalar(sa.select(Organization.id).limit(1)) is None


class DemoRefused(Exception):
    """Demo data was asked for where it must never be: its logins' passwords are published in this file."""


def refuse_in_production() -> None:
    """Raise DemoRefused under the production configuration or with APP_ENV=production."""
    if current_app.config["ENV_NAME"] == "production" or os.environ.get("APP_ENV") == "production":
        raise DemoRefused(
            "Refusing to load demo data in production: its accounts (an administrator among them) have "
            "passwords published in the source. Create the first administrator with `flask create-admin`."
        )


def seed_demo(now: datetime) -> DemoResult:
    """Load the demo data that is missing, in one transaction, and say what was created."""
    refuse_in_production()
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("seed_demo needs a timezone-aware `now`")
    now = now.astimezone(UTC)
    with write_transaction():
        result = _Seeder(now).run()
    if result.created["history"]:
        # The reports read the nightly statistics: measure the history now rather than tonight.
        from booking.services import statistics

        statistics.backfill(now, HISTORY_DAYS + 1)
    return result


# Henan Polytechnic University's campus sign-on: the CAS server the tests start (tests/campus_cas.py, which
# `python -m tests.campus_cas` also serves by hand), with the attributes its directory releases.
DEMO_CAS_URL = os.environ.get("DEMO_CAS_URL", "http://127.0.0.1:5216/cas/")


def seed_campus_sign_on(orgs: dict[str, Organization], result: DemoResult) -> None:
    """HPU's CAS settings, unless the city office already set them (its later edits survive a re-seed)."""
    university = orgs["HPU"]
    present = db.session.get(CampusSignOn, university.id) is not None
    if not present:
        db.session.add(
            CampusSignOn(
                university_id=university.id,
                server_url=DEMO_CAS_URL,
                protocol=3,
                number_attribute="employeeNumber",
                role_attribute="eduPersonAffiliation",
                staff_values="staff,faculty",
                name_attribute="cn",
                email_attribute="mail",
                enabled=True,
            )
        )
    (result.present if present else result.created)["campus_sign_on"] += 1


class _Seeder:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.result = DemoResult()
        self.orgs: dict[str, Organization] = {}
        self.users: dict[str, User] = {}
        self.facilities: dict[str, Resource] = {}

    def run(self) -> DemoResult:
        self._universities()
        self._enterprises()
        seed_campus_sign_on(self.orgs, self.result)
        self._accounts()
        self._facilities()
        self._closures()
        self._quotas()
        db.session.flush()
        _BookingSeeder(self.now, self.result, self.orgs, self.users, self.facilities).run()
        return self.result

    def _tally(self, key: str, created: bool, n: int = 1) -> None:
        (self.result.created if created else self.result.present)[key] += n

    def _universities(self) -> None:
        for spec in UNIVERSITIES:
            org = db.session.scalar(sa.select(Organization).filter_by(code=spec.code))
            if org is None:
                org = Organization(
                    kind=OrganizationKind.UNIVERSITY,
                    code=spec.code,
                    name_zh=spec.name_zh,
                    name_en=spec.name_en,
                )
                db.session.add(org)
            self._tally("universities", org.id is None)
            self.orgs[spec.code] = org

    def _enterprises(self) -> None:
        for i, spec in enumerate(ENTERPRISES_SPECS):
            org = db.session.scalar(sa.select(Organization).filter_by(code=spec.code))
            if org is None:
                org = Organization(
                    kind=OrganizationKind.ENTERPRISE,
                    code=spec.code,
                    name_zh=spec.name_zh,
                    name_en=spec.name_en,
                    industry=spec.industry,
                    verified_at=self.now - timedelta(days=90 - 11 * i) if spec.verified else None,
                    created_at=self.now - timedelta(days=120 - 11 * i),
                )
                db.session.add(org)
            self._tally("enterprises", org.id is None)
            self.orgs[spec.key] = org
        db.session.flush()

    def _accounts(self) -> None:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        for spec in (*DEMO_ACCOUNTS, *COMMUNITY_ACCOUNTS):
            email = checked_email(spec.email)
            user = db.session.scalar(sa.select(User).filter_by(email=email))
            created = user is None
            if user is None:
                # The people who fill the grids get a random password nobody knows.
                password = spec.password or secrets.token_urlsafe(24)
                verified = spec.verification == Verification.VERIFIED
                user = User(
                    email=email,
                    password_hash=generate_password_hash(password, method=method),
                    display_name=spec.display_name,
                    category=spec.category,
                    organization=self.orgs[spec.organization] if spec.organization else None,
                    student_number=spec.student_number,
                    verification=spec.verification,
                    verified_at=self.now - timedelta(days=30) if verified else None,
                    manages=self.orgs[spec.manages] if spec.manages else None,
                    is_admin=spec.is_admin,
                    created_at=self.now - timedelta(days=45),
                )
                db.session.add(user)
            self._tally("accounts", created)
            self.users[email] = user
            if spec.password:
                self.result.logins.append(DemoLogin(spec.role, email, spec.password))
        db.session.flush()

    def _facilities(self) -> None:
        campuses = {spec.code: spec for spec in UNIVERSITIES}
        for spec in FACILITIES:
            university = self.orgs[spec.university]
            resource = db.session.scalar(
                sa.select(Resource).filter_by(university_id=university.id, name_en=spec.name_en)
            )
            if resource is None:
                resource = self._new_facility(spec, university, campuses[spec.university])
                self._tally("facilities", True)
                self._tally("opening_hours", True, len(resource.hours))
                self._tally("tags", True, len(resource.tags))
                self._tally("policies", True)
            else:
                self._tally("facilities", False)
                self._tally("opening_hours", False, len(resource.hours))
                self._tally("tags", False, len(resource.tags))
                # Every facility needs its rules; the rest of an existing facility is the managers' to change.
                if resource.policy is None:
                    resource.policy = Policy(**_copy(spec.policy))
                    self._tally("policies", True)
                else:
                    self._tally("policies", False)
            self.facilities[spec.key] = resource
        db.session.flush()

    def _new_facility(self, spec: FacilitySpec, university: Organization, campus: UniversitySpec) -> Resource:
        resource = Resource(
            university_id=university.id,
            kind=spec.kind,
            mode=spec.mode,
            name_zh=spec.name_zh,
            name_en=spec.name_en,
            description_zh=spec.description_zh,
            description_en=spec.description_en,
            campus=campus.campus,
            address=campus.address + spec.building,
            campus_en=campus.campus_en,
            address_en=campus.address_en,
            latitude=round(campus.latitude + spec.offset[0], 6),
            longitude=round(campus.longitude + spec.offset[1], 6),
            capacity=spec.capacity,
            timezone=TIMEZONE,
            slot_minutes=spec.slot_minutes,
            active=True,
            created_at=self.now - timedelta(days=HISTORY_DAYS + 30),
        )
        resource.hours = [OpeningHours(weekday=w, opens=o, closes=c) for w, o, c in spec.hours]
        resource.tags = [ResourceTag(tag=t) for t in sorted(set(spec.tags))]
        resource.policy = Policy(**_copy(spec.policy))
        db.session.add(resource)
        return resource

    def _closures(self) -> None:
        tz = ZoneInfo(TIMEZONE)
        wanted: list[tuple[str, str | None, datetime, datetime, str, str]] = [
            (
                "JZU",
                None,
                _local(date(2027, 1, 4), MIDNIGHT, tz),
                _local(date(2027, 1, 11), MIDNIGHT, tz),
                "期末考试周",
                "Final exam week",
            ),
        ]
        for spec in UNIVERSITIES:
            wanted.append(
                (
                    spec.code,
                    None,
                    _local(date(2027, 2, 6), MIDNIGHT, tz),
                    _local(date(2027, 2, 15), MIDNIGHT, tz),
                    "春节假期",
                    "Spring Festival holiday",
                )
            )
        # Next week's Wednesday, so the maintenance shows up in the demo grid of court 3.
        today = self.now.astimezone(tz).date()
        wednesday = today + timedelta(days=7 - today.weekday() + 2)
        wanted.append(
            (
                "HPU",
                "hpu-badminton-3",
                _local(wednesday, time(8), tz),
                _local(wednesday, time(18), tz),
                "场地地胶维护",
                "Court floor maintenance",
            )
        )
        managers = {u.manages_id: u for u in self.users.values() if u.manages_id is not None}
        for code, facility_key, start, end, reason_zh, reason_en in wanted:
            university = self.orgs[code]
            resource_id = self.facilities[facility_key].id if facility_key else None
            existing = db.session.scalar(
                sa.select(Closure.id).filter_by(
                    university_id=university.id, resource_id=resource_id, reason_en=reason_en
                )
            )
            if existing is None:
                manager = managers.get(university.id)
                db.session.add(
                    Closure(
                        university_id=university.id,
                        resource_id=resource_id,
                        start_at=start,
                        end_at=end,
                        reason_zh=reason_zh,
                        reason_en=reason_en,
                        created_by_id=manager.id if manager else None,
                        created_at=self.now - timedelta(days=3),
                    )
                )
            self._tally("closures", existing is None)

    def _quotas(self) -> None:
        for spec in QUOTAS:
            university = self.orgs[spec.university]
            resource_id = self.facilities[spec.facility].id if spec.facility else None
            existing = db.session.scalar(
                sa.select(Quota.id).filter_by(
                    university_id=university.id,
                    category=spec.category,
                    resource_kind=spec.resource_kind,
                    resource_id=resource_id,
                    scope=spec.scope,
                    period=spec.period,
                )
            )
            if existing is None:
                db.session.add(
                    Quota(
                        university_id=university.id,
                        category=spec.category,
                        resource_kind=spec.resource_kind,
                        resource_id=resource_id,
                        scope=spec.scope,
                        period=spec.period,
                        max_bookings=spec.max_bookings,
                        max_hours=spec.max_hours,
                    )
                )
            self._tally("quotas", existing is None)


def _copy(policy: dict[str, Any]) -> dict[str, Any]:
    """Fresh lists per row, so no two policies share a mutable JSON value."""
    return {k: list(v) if isinstance(v, list) else v for k, v in policy.items()}


def _local(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


# ------------------------------------------------------------------------------------------------------------
# Demo bookings
# ------------------------------------------------------------------------------------------------------------


class _Planner:
    """Asks the booking engine whether a demo booking is one the rules accept, given those placed so far."""

    def __init__(self, now: datetime, resources: Iterable[Resource], users: Iterable[User]) -> None:
        self.now = now
        resources = list(resources)
        # Far enough ahead for a placement's whole period.
        until = now + timedelta(days=366)
        self.specs = specs.specs_with_closures(resources, now, until)
        # Whatever is already booked here, or counts toward these people's quotas, stays and is respected.
        self.occupancy = specs.load_occupancy([r.id for r in resources], now, until)
        self.quotas = specs.load_quotas()
        self.usage = specs.load_usage(users, engine.Interval(now, until), now)

    def judge(
        self, resource: Resource, user: User, start: datetime, end: datetime, party_size: int
    ) -> engine.Decision:
        return engine.evaluate(
            engine.BookingRequest(start, end, party_size),
            self.specs[resource.id],
            specs.requester_spec(user),
            self.occupancy[resource.id],
            self.quotas,
            self.usage,
            self.now,
        )

    def fits(self, resource: Resource, user: User, start: datetime, end: datetime, party_size: int) -> bool:
        return self.judge(resource, user, start, end, party_size).ok

    def hold(self, booking: Booking, resource: Resource) -> None:
        """Count a placed booking: it takes room while active and counts toward quotas unless cancelled."""
        if booking.status in ACTIVE_STATUSES:
            self.occupancy[resource.id].append(
                engine.Occupancy(booking.start_at, booking.blocked_until, booking.party_size)
            )
        if booking.status in QUOTA_STATUSES:
            self.usage.append(
                engine.UsageItem(
                    start=booking.start_at,
                    end=booking.end_at,
                    resource_id=resource.id,
                    resource_kind=resource.kind,
                    university_id=resource.university_id,
                    user_id=booking.user_id,
                    organization_id=booking.organization_id,
                )
            )


@dataclass(frozen=True)
class _Wish:
    """Someone's booking as the demo script wants it: the first fitting start among the candidates is used."""

    facility: str
    email: str
    minutes: int
    party_size: int
    days: tuple[int, ...]  # local days from today
    at: tuple[str, ...]  # preferred local start times, in order
    purpose: str
    # pending: awaits a manager if the facility asks approval of this person, else confirmed;
    # approved: confirmed by the university's manager; cancelled: the person changed their mind.
    status: str = "pending"


# The demo accounts' own bookings: each account has something to see, and the resident still has quota left.
SCRIPTED = (
    _Wish(
        facility="hpu-badminton-2",
        email="resident@demo.jz",
        minutes=120,
        party_size=4,
        days=(5, 6, 4, 3, 2),
        at=("19:00", "20:00", "18:00", "15:00"),
        purpose="周末和朋友打羽毛球",
    ),
    _Wish(
        facility="hpu-museum",
        email="resident@demo.jz",
        minutes=60,
        party_size=3,
        days=(6, 5, 7, 4),
        at=("10:00", "15:00", "09:00"),
        purpose="带孩子参观地质标本",
    ),
    _Wish(
        facility="hpu-tennis",
        email="resident@demo.jz",
        minutes=60,
        party_size=2,
        days=(1, 2, 3),
        at=("18:00", "19:00", "20:00"),
        purpose="网球练习",
        status="cancelled",
    ),
    _Wish(
        facility="hpu-maker-lab",
        email="student@demo.jz",
        minutes=120,
        party_size=3,
        days=(2, 3, 4, 5, 6, 7, 8),
        at=("14:00", "15:00", "09:00"),
        purpose="大学生创新创业大赛作品打印与调试",
    ),
    _Wish(
        facility="hpu-battery-lab",
        email="student@demo.jz",
        minutes=180,
        party_size=2,
        days=(3, 4, 5, 6, 7, 8, 9),
        at=("09:00", "14:00"),
        purpose="毕业设计：磷酸铁锂电芯循环寿命测试",
        status="approved",
    ),
    _Wish(
        facility="jzu-reading",
        email="newstudent@demo.jz",
        minutes=180,
        party_size=1,
        days=(1, 2, 3),
        at=("14:00", "09:00", "19:00"),
        purpose="期末复习",
    ),
    _Wish(
        facility="hpu-equipment-lab",
        email="enterprise@demo.jz",
        minutes=180,
        party_size=3,
        days=(3, 4, 5, 6, 7, 8, 9),
        at=("09:00", "13:30", "14:00"),
        purpose="工业机器人减速器精度测试",
    ),
    _Wish(
        facility="hpu-materials-lab",
        email="enterprise@demo.jz",
        minutes=180,
        party_size=2,
        days=(5, 6, 7, 8, 9, 10),
        at=("13:30", "09:00"),
        purpose="机器人关节铝合金件拉伸与硬度检测",
        status="approved",
    ),
    _Wish(
        facility="hpu-meeting",
        email="enterprise@demo.jz",
        minutes=90,
        party_size=8,
        days=(2, 3, 4, 5, 6, 7),
        at=("14:00", "10:00", "15:30"),
        purpose="校企合作项目对接会",
    ),
    _Wish(
        facility="hpu-lecture-theatre",
        email="guo.peng@demo.jz",
        minutes=180,
        party_size=200,
        days=(8, 9, 10, 11, 12),
        at=("14:00", "15:00", "09:00"),
        purpose="新能源企业校园招聘宣讲会",
    ),
    _Wish(
        facility="jznc-concert-hall",
        email="hu.bin@demo.jz",
        minutes=180,
        party_size=80,
        days=(6, 7, 13, 12, 5),
        at=("19:00", "18:00", "14:00"),
        purpose="学生合唱团新年音乐会彩排",
        status="approved",
    ),
    _Wish(
        facility="jzu-cnc",
        email="he.jing@demo.jz",
        minutes=240,
        party_size=4,
        days=(2, 3, 4, 5, 6, 7, 8),
        at=("08:30", "13:00"),
        purpose="刹车盘样件小批量试制",
    ),
    _Wish(
        facility="hju-vehicle-lab",
        email="he.jing@demo.jz",
        minutes=240,
        party_size=3,
        days=(4, 5, 6, 7, 8, 9),
        at=("09:00", "13:00"),
        purpose="减震器总成台架匹配测试",
    ),
    _Wish(
        facility="hpu-battery-lab",
        email="guo.peng@demo.jz",
        minutes=240,
        party_size=2,
        days=(2, 3, 4, 5, 6, 7, 8),
        at=("08:30", "13:00"),
        purpose="储能电芯高低温循环测试",
    ),
    _Wish(
        facility="hpu-equipment-lab",
        email="gao.xiang@demo.jz",
        minutes=240,
        party_size=4,
        days=(2, 5, 6, 7, 8, 9),
        at=("13:00", "08:30"),
        purpose="AGV导航算法样机联调",
        status="approved",
    ),
)

# Placement applications: (facility, student, weeks, status).
PLACEMENTS = (
    ("hpu-materials-base", "student@demo.jz", 4, "pending"),
    ("hju-auto-base", "zhu.lin@demo.jz", 4, "approved"),
    ("hju-auto-base", "zheng.kai@demo.jz", 3, "approved"),
    ("jzu-it-base", "ma.chao@demo.jz", 4, "pending"),
)
PLACEMENT_STATEMENTS = {
    "hpu-materials-base": "材料科学与工程专业大三学生，学过材料分析测试方法，希望参与锂电材料检测实训。",
    "hju-auto-base": "车辆工程专业学生，熟悉汽车构造与公差配合，希望到零部件企业一线学习装配与质检。",
    "jzu-it-base": "软件技术专业学生，会Python和Vue，希望参与企业真实项目的测试与运维。",
}


@dataclass(frozen=True)
class _Crowd:
    """Bookings by the people of Jiaozuo that fill the grids: who, where, how often, how long, and why."""

    people: tuple[str, ...]
    facilities: tuple[str, ...]
    attempts: int
    minutes: tuple[int, ...]
    party: tuple[int, int]
    purposes: tuple[str, ...]
    leisure: bool = True  # evenings and weekends are busier


RESIDENTS = (
    "wang.fang@demo.jz",
    "liu.qiang@demo.jz",
    "sun.yue@demo.jz",
    "zhou.hao@demo.jz",
    "wu.ting@demo.jz",
)
STUDENT_CROWD = (
    "zheng.kai@demo.jz",
    "huang.lei@demo.jz",
    "ma.chao@demo.jz",
    "zhu.lin@demo.jz",
    "hu.bin@demo.jz",
)
ENTERPRISE_CROWD = ("gao.xiang@demo.jz", "guo.peng@demo.jz", "he.jing@demo.jz")
EVERYONE = (*RESIDENTS, *STUDENT_CROWD)
BADMINTON = tuple(f"hpu-badminton-{n}" for n in range(1, 5))

CROWD = (
    _Crowd(
        EVERYONE,
        BADMINTON,
        11,
        (60, 120, 120),
        (2, 4),
        ("羽毛球约球", "单位羽毛球活动", "和同学打球", "双打练习"),
    ),
    _Crowd(EVERYONE, ("hpu-tennis",), 3, (60, 120), (2, 4), ("网球训练", "网球约球")),
    _Crowd(
        EVERYONE, ("jzu-basketball",), 3, (60, 120), (6, 12), ("篮球友谊赛", "社区篮球队训练", "三对三斗牛")
    ),
    _Crowd(EVERYONE, ("hju-football",), 3, (60, 120), (8, 12), ("五人制足球周赛", "社区球队训练")),
    _Crowd(EVERYONE, ("hpu-gym",), 3, (60, 120), (1, 2), ("力量训练", "健身")),
    _Crowd(EVERYONE, ("hpu-pool",), 3, (60, 120), (1, 4), ("游泳锻炼", "亲子游泳")),
    _Crowd(
        (*STUDENT_CROWD, *RESIDENTS[:3]),
        ("hpu-reading", "jzu-reading", "hju-reading", "jznc-reading"),
        8,
        (120, 180, 240),
        (1, 3),
        ("考研复习", "期末复习", "写论文", "安静看书", "小组讨论作业"),
        leisure=False,
    ),
    _Crowd(
        RESIDENTS,
        ("hpu-museum", "jzu-museum", "jznc-gallery"),
        5,
        (60,),
        (2, 18),
        ("家庭参观", "带孩子参观", "社区老年大学参观", "小学研学活动"),
    ),
    _Crowd(RESIDENTS, ("jznc-taiji",), 3, (60, 120), (1, 8), ("陈式太极拳练习", "太极拳社团活动")),
    _Crowd(EVERYONE, ("hpu-track", "hju-garden", "jznc-track"), 3, (60, 120), (1, 6), ("夜跑", "社区健步走")),
    _Crowd(
        RESIDENTS,
        ("jznc-dance",),
        3,
        (120, 180),
        (8, 20),
        ("广场舞队排练", "社区合唱团排练", "社区舞蹈队排练"),
    ),
    _Crowd(
        (*ENTERPRISE_CROWD, *STUDENT_CROWD),
        ("hpu-meeting", "jzu-meeting", "hju-meeting"),
        5,
        (60, 90, 120),
        (4, 12),
        ("项目评审会", "企业导师见面会", "校企合作洽谈"),
        leisure=False,
    ),
    _Crowd(
        ENTERPRISE_CROWD,
        ("hpu-equipment-lab", "hpu-materials-lab", "hpu-battery-lab", "jzu-cnc", "hju-vehicle-lab"),
        6,
        (120, 180, 240),
        (1, 4),
        ("新产品样机测试", "来料力学性能抽检", "工艺参数验证", "产线改造方案试验"),
        leisure=False,
    ),
)


class _BookingSeeder:
    def __init__(
        self,
        now: datetime,
        result: DemoResult,
        orgs: dict[str, Organization],
        users: dict[str, User],
        facilities: dict[str, Resource],
    ) -> None:
        self.now = now
        self.result = result
        self.users = users
        self.facilities = facilities
        self.rng = random.Random(SEED)
        self.tz = ZoneInfo(TIMEZONE)
        self.today = now.astimezone(self.tz).date()
        self.deciders = {u.manages_id: u for u in users.values() if u.manages_id is not None}
        self.created = 0

    def run(self) -> None:
        user_ids = [u.id for u in self.users.values()]
        existing = db.session.scalar(
            sa.select(sa.func.count()).select_from(Booking).where(Booking.user_id.in_(user_ids))
        )
        if existing:
            self.result.present["bookings"] += existing
            self.result.present["series"] += db.session.scalar(
                sa.select(sa.func.count()).select_from(Series).where(Series.user_id.in_(user_ids))
            )
            return
        self.planner = _Planner(self.now, self.facilities.values(), self.users.values())
        self._study_series()
        for wish in SCRIPTED:
            self._grant(wish)
        for facility, email, weeks, status in PLACEMENTS:
            self._placement(facility, email, weeks, status)
        for crowd in CROWD:
            self._crowd(crowd)
        self.result.created["bookings"] += self.created
        _History(self).run()

    def _study_series(self) -> None:
        """李娜 revises for the postgraduate exam in the reading room every morning: a daily series."""
        resource = self.facilities["hpu-reading"]
        user = self.users["student@demo.jz"]
        starts = [_local(self.today + timedelta(days=d), time(8), self.tz) for d in range(1, 6)]
        fitting = [s for s in starts if self.planner.fits(resource, user, s, s + timedelta(hours=4), 1)]
        if not fitting:
            return
        series = Series(
            user_id=user.id,
            resource_id=resource.id,
            frequency=Frequency.DAILY,
            interval=1,
            weekdays=[],
            count=len(starts),
            local_start=time(8),
            duration_minutes=240,
            created_at=self.now - timedelta(days=1),
        )
        db.session.add(series)
        self.result.created["series"] += 1
        for start in fitting:
            self._book(
                resource, user, start, start + timedelta(hours=4), 1, "考研复习", "auto", series=series
            )

    def _grant(self, wish: _Wish) -> None:
        resource = self.facilities[wish.facility]
        user = self.users[wish.email]
        for day in wish.days:
            for at in wish.at:
                start = _local(self.today + timedelta(days=day), _t(at), self.tz)
                end = start + timedelta(minutes=wish.minutes)
                if self.planner.fits(resource, user, start, end, wish.party_size):
                    self._book(resource, user, start, end, wish.party_size, wish.purpose, wish.status)
                    return

    def _placement(self, facility: str, email: str, weeks: int, status: str) -> None:
        resource = self.facilities[facility]
        user = self.users[email]
        # Terms start on a Monday; shorten the period if a closure is in the way.
        first_monday = self.today + timedelta(days=7 - self.today.weekday())
        for monday in (first_monday + timedelta(weeks=w) for w in range(3)):
            for length in range(weeks, 0, -1):
                start = _local(monday, MIDNIGHT, self.tz)
                end = _local(monday + timedelta(weeks=length), MIDNIGHT, self.tz)
                if self.planner.fits(resource, user, start, end, 1):
                    self._book(resource, user, start, end, 1, PLACEMENT_STATEMENTS[facility], status)
                    return

    def _crowd(self, crowd: _Crowd) -> None:
        people = [self.users[e] for e in crowd.people]
        for _ in range(crowd.attempts):
            resource = self.facilities[self.rng.choice(crowd.facilities)]
            user = self.rng.choice(people)
            horizon = max(1, min(HORIZON_DAYS, resource.policy.max_advance_days))
            day = self.today + timedelta(days=self.rng.randrange(horizon))
            minutes = self.rng.choice(crowd.minutes)
            starts = self._starts(resource, day, minutes)
            party = self.rng.randint(*crowd.party)
            purpose = self.rng.choice(crowd.purposes)
            cancelled = self.rng.random() < 0.07
            if not starts:
                continue
            weights = [self._weight(s, crowd.leisure) for s in starts]
            start = self.rng.choices(starts, weights)[0]
            end = start + timedelta(minutes=minutes)
            party = min(party, resource.policy.max_party_size or party, resource.capacity)
            if self.planner.fits(resource, user, start, end, party):
                self._book(resource, user, start, end, party, purpose, "cancelled" if cancelled else "auto")

    def _starts(self, resource: Resource, day: date, minutes: int) -> list[datetime]:
        """Every start on the slot grid of `day` whose booking ends before that opening interval closes."""
        starts = []
        for row in resource.hours:
            if row.weekday != day.weekday():
                continue
            opens = _local(day, row.opens, self.tz)
            closes = (
                _local(day + timedelta(days=1), MIDNIGHT, self.tz)
                if row.closes == MIDNIGHT
                else _local(day, row.closes, self.tz)
            )
            start = opens
            while start + timedelta(minutes=minutes) <= closes:
                starts.append(start)
                start += timedelta(minutes=resource.slot_minutes)
        return starts

    def _weight(self, start: datetime, leisure: bool) -> int:
        local = start.astimezone(self.tz)
        if not leisure:
            return 2 if 8 <= local.hour < 11 or 14 <= local.hour < 17 else 1
        return 4 if local.weekday() >= 5 or local.hour >= 18 else 1

    def _book(
        self,
        resource: Resource,
        user: User,
        start: datetime,
        end: datetime,
        party_size: int,
        purpose: str,
        status: str,
        series: Series | None = None,
    ) -> None:
        """Add one booking. `status` is a _Wish status, or auto: approved by the manager now and then."""
        policy = resource.policy
        created_at = min(self.now - timedelta(minutes=30), start) - timedelta(
            minutes=self.rng.randrange(60, 4320)
        )
        needs_approval = self.planner.judge(resource, user, start, end, party_size).requires_approval
        booking = Booking(
            resource_id=resource.id,
            user_id=user.id,
            organization_id=user.organization_id,
            series=series,
            start_at=start,
            end_at=end,
            blocked_until=end + timedelta(minutes=policy.buffer_minutes),
            exclusive=resource.mode == Mode.EXCLUSIVE,
            party_size=party_size,
            purpose=purpose,
            status=BookingStatus.CONFIRMED,
            booked_by_id=user.id,
            created_at=created_at,
            updated_at=created_at,
        )
        if status == "cancelled":
            booking.status = BookingStatus.CANCELLED
            booking.sequence = 1
            booking.updated_at = created_at + (self.now - created_at) / 2
        elif needs_approval and (status == "approved" or (status == "auto" and self.rng.random() < 0.3)):
            decider = self.deciders.get(resource.university_id)
            booking.decided_by_id = decider.id if decider else None
            booking.decided_at = created_at + (self.now - created_at) / 3
            booking.decision_note = "已审核，请按时到场并遵守安全规定。"
            booking.sequence = 1
            booking.updated_at = booking.decided_at
        elif needs_approval:
            booking.status = BookingStatus.PENDING
        if booking.status == BookingStatus.CONFIRMED and policy.checkin_required:
            booking.checkin_code = f"{self.rng.randrange(10**6):06d}"
        db.session.add(booking)
        self.planner.hold(booking, resource)
        self.created += 1


class _History:
    """A term of past bookings for the reports: the same crowds on the days behind us, most completed,
    some cancelled or missed, approvals decided; and the demand that was turned away (refusals by rule,
    waitlist entries never served), counted as the booking service counts it.

    Checked here, not by the engine (which refuses the past): opening hours, closures, who may book, and
    no overlap or overfull room."""

    def __init__(self, seeder: _BookingSeeder) -> None:
        self.seeder = seeder
        self.rng = random.Random(SEED + 1)
        self.taken: dict[int, list[tuple[datetime, datetime, int]]] = defaultdict(list)
        self.refused: Counter[tuple[int, int, date, str]] = Counter()
        self.closures = list(db.session.scalars(sa.select(Closure)))
        self.created = 0

    def run(self) -> None:
        for crowd in CROWD:
            for _ in range(crowd.attempts * HISTORY_DAYS // HORIZON_DAYS * HISTORY_DENSITY):
                self._attempt(crowd)
        for facility, _email, weeks, _status in PLACEMENTS:
            self._placements(facility, weeks)
        for (resource_id, university_id, day, code), count in sorted(self.refused.items()):
            db.session.add(
                RefusalCount(
                    resource_id=resource_id, university_id=university_id, day=day, code=code, count=count
                )
            )
        self.seeder.result.created["history"] += self.created

    def _placements(self, facility: str, weeks: int) -> None:
        """Students placed at a training base earlier in the term, each for `weeks` weeks from a Monday
        (shorter where a closure or a day without hours is in the way)."""
        seeder = self.seeder
        resource = seeder.facilities[facility]
        open_days = {h.weekday for h in resource.hours if h.opens == MIDNIGHT and h.closes == MIDNIGHT}
        first = seeder.today - timedelta(days=HISTORY_DAYS)
        first += timedelta(days=(7 - first.weekday()) % 7)
        students = [seeder.users[e] for e in STUDENT_CROWD]
        for seat in range(resource.capacity):
            monday = first + timedelta(weeks=self.rng.randrange(3))
            for length in range(weeks, 0, -1):
                days = [monday + timedelta(days=d) for d in range(7 * length)]
                start = _local(monday, MIDNIGHT, seeder.tz)
                end = _local(days[-1] + timedelta(days=1), MIDNIGHT, seeder.tz)
                if days[-1] >= seeder.today or any(d.weekday() not in open_days for d in days):
                    continue
                if any(
                    c.university_id == resource.university_id
                    and c.resource_id in (None, resource.id)
                    and c.start_at < end
                    and start < c.end_at
                    for c in self.closures
                ):
                    continue
                if (
                    sum(t[2] for t in self.taken[resource.id] if t[0] < end and start < t[1])
                    >= resource.capacity
                ):
                    break
                self._book(
                    resource,
                    students[seat % len(students)],
                    start,
                    end,
                    end,
                    1,
                    PLACEMENT_STATEMENTS[facility],
                )
                break

    def _attempt(self, crowd: _Crowd) -> None:
        seeder, rng = self.seeder, self.rng
        resource = seeder.facilities[rng.choice(crowd.facilities)]
        user = seeder.users[rng.choice(crowd.people)]
        day = seeder.today - timedelta(days=rng.randint(1, HISTORY_DAYS))
        minutes = rng.choice(crowd.minutes)
        starts = seeder._starts(resource, day, minutes)
        if not starts or user.effective_category.value not in resource.policy.allowed_categories:
            return
        start = rng.choices(starts, [seeder._weight(s, crowd.leisure) for s in starts])[0]
        end = start + timedelta(minutes=minutes)
        party = min(rng.randint(*crowd.party), resource.policy.max_party_size or 99, resource.capacity)
        if any(
            c.university_id == resource.university_id
            and c.resource_id in (None, resource.id)
            and c.start_at < end
            and start < c.end_at
            for c in self.closures
        ):
            return
        asked = (start - timedelta(days=1)).astimezone(seeder.tz).date()
        blocked = end + timedelta(minutes=resource.policy.buffer_minutes)
        overlapping = [t for t in self.taken[resource.id] if t[0] < blocked and start < t[1]]
        full = (
            bool(overlapping)
            if resource.mode == Mode.EXCLUSIVE
            else sum(t[2] for t in overlapping) + party > resource.capacity
        )
        if full:
            code = "conflict" if resource.mode == Mode.EXCLUSIVE else "capacity"
            self.refused[(resource.id, resource.university_id, asked, code)] += 1
            if rng.random() < 0.4:
                db.session.add(
                    WaitlistEntry(
                        resource_id=resource.id,
                        user_id=user.id,
                        start_at=start,
                        end_at=end,
                        party_size=party,
                        status=WaitlistStatus.LEFT if rng.random() < 0.5 else WaitlistStatus.WAITING,
                        created_at=start - timedelta(days=1),
                    )
                )
            return
        if rng.random() < 0.06:
            # Someone over their weekly allowance: turned away by the quota, not by the room.
            self.refused[(resource.id, resource.university_id, asked, "quota_bookings")] += 1
            return
        self._book(resource, user, start, end, blocked, party, rng.choice(crowd.purposes))

    def _book(
        self,
        resource: Resource,
        user: User,
        start: datetime,
        end: datetime,
        blocked: datetime,
        party: int,
        purpose: str,
    ) -> None:
        rng = self.rng
        created_at = start - timedelta(minutes=rng.randrange(120, 7 * 1440))
        booking = Booking(
            resource_id=resource.id,
            user_id=user.id,
            organization_id=user.organization_id,
            start_at=start,
            end_at=end,
            blocked_until=blocked,
            exclusive=resource.mode == Mode.EXCLUSIVE,
            party_size=party,
            purpose=purpose,
            status=BookingStatus.COMPLETED,
            booked_by_id=user.id,
            created_at=created_at,
            updated_at=end,
        )
        if user.effective_category in resource.policy.approval or resource.mode == Mode.PLACEMENT:
            decider = self.seeder.deciders.get(resource.university_id)
            booking.decided_by_id = decider.id if decider else None
            booking.decided_at = min(
                start - timedelta(minutes=30), created_at + timedelta(minutes=rng.randrange(20, 2880))
            )
            if rng.random() < 0.1:
                booking.status = BookingStatus.REJECTED
        roll = rng.random()
        if booking.status == BookingStatus.COMPLETED and roll < 0.08:
            booking.status = BookingStatus.CANCELLED
            booking.updated_at = created_at + (start - created_at) / 2
        elif booking.status == BookingStatus.COMPLETED and roll < 0.13:
            booking.status = BookingStatus.NO_SHOW
        elif booking.status == BookingStatus.COMPLETED and resource.policy.checkin_required:
            booking.checked_in_at = start
        if booking.status in (BookingStatus.COMPLETED, BookingStatus.NO_SHOW):
            self.taken[resource.id].append((start, blocked, party))
        db.session.add(booking)
        self.created += 1
